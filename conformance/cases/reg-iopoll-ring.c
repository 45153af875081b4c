// SPDX-License-Identifier: GPL-2.0
/*
 * reg-iopoll-ring: registering a dma-buf on a ring set up with
 * IORING_SETUP_IOPOLL. v3 has no check and accepts it (notes 1.6); then a
 * polled READ_FIXED and WRITE_FIXED through the slot must complete with
 * correct data (checked against pread/pwrite on ordinary memory). v5 and
 * later refuse the registration with -EOPNOTSUPP (notes 1.5, 1.6: the xnvme
 * docs and the v5-era fork).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	struct io_uring_regbuf_desc d;
	int ret;

	conf_setup(&c, "udmabuf", 256 << 10, 8, IORING_SETUP_IOPOLL, 1);
	conf_no_page_cache();
	d = conf_desc(c.x.chunks[0].fd, conf.dev.fd);
	ret = conf_update_desc(&c.ring, 0, &d);
	conf_observe("register", "%s", conf_res(ret));
	if (ret == -EOPNOTSUPP)
		conf_pass("a dma-buf on an IOPOLL ring: -EOPNOTSUPP (v5+ behaviour; v3 accepts it)");
	if (ret != 1)
		conf_fail("a dma-buf on an IOPOLL ring: %s, expected 1 (v3) or -EOPNOTSUPP (v5+)",
			  conf_res(ret));
	conf_dev_pattern(&conf.dev, 0, 1 << 20, 28);
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 0);
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 512, 65536, 8192);
	conf_check_write(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 4096, 16384, 512 << 10, 29);
	conf_observe("eagain_reissues", "%lu", conf_eagains);
	conf_pass("a dma-buf on an IOPOLL ring: accepted (v3 behaviour; v5+ refuses -EOPNOTSUPP), and polled reads and a polled write through it are correct");
}
