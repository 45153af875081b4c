// SPDX-License-Identifier: GPL-2.0
/*
 * reg-over-size-limit: a dma-buf of 1 GiB + 4 KiB: -EINVAL in v3-v5 (v3
 * patch 10, io_register_dmabuf(): "dmabuf->size > SZ_1G"; notes 1.5),
 * accepted from v6 ("relaxes the 1G io_uring registered dma-buf limit",
 * notes 0). Where it is accepted, a READ_FIXED into the last 4 KiB, past
 * the old limit, must bring the right data. The dma-buf needs udmabuf's
 * size limit raised (the runner boots with --udmabuf-limit-mb 2048
 * --memory 4G); the case skips when it cannot be allocated.
 * conf-timeout: 180
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const size_t size = (1ul << 30) + 4096;
	struct io_uring_regbuf_desc d;
	struct dmabuf_export x;
	struct io_uring ring;
	int ret;

	conf_init();
	conf_need_series();
	conf_no_page_cache();
	memset(&x, 0, sizeof(x));
	ret = export_alloc(&x, &exp_udmabuf, NULL, size, conf.page, size, false);
	if (ret)
		conf_skip("a %zu-byte udmabuf cannot be made here: %s", size, x.err);
	if (x.nr_chunks != 1 || !x.cpu)
		conf_fail("the %zu-byte udmabuf came as %u chunks%s", size, x.nr_chunks,
			  x.cpu ? "" : ", not CPU-mapped");
	conf_ring(&ring, 8, 0);
	conf_table(&ring, 1);
	d = conf_desc(x.chunks[0].fd, conf.dev.fd);
	ret = conf_update_desc(&ring, 0, &d);
	conf_observe("register", "%s", conf_res(ret));
	if (ret == 1) {
		conf_dev_pattern(&conf.dev, 0, 1 << 20, 41);
		conf_check_read(&ring, &conf.dev, conf.dev.fd, 0, &x, size - 4096, 4096, 8192);
	}
	conf_expect_either(ret, -EINVAL, 1, "v6+", "a dma-buf of 1 GiB + 4 KiB");
}
