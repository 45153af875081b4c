// SPDX-License-Identifier: GPL-2.0
/*
 * reg-no-series: a kernel without the series refuses a dma-buf descriptor
 * with -EINVAL (its io_register_rsrc_update rejects any flags in the
 * former resv word), so user space can tell "no feature" apart from "this
 * file cannot". Skips on a kernel with the series.
 */
#include <errno.h>

#include "conf.h"

int main(void)
{
	struct dmabuf_export x;
	struct io_uring ring;
	struct io_uring_regbuf_desc d;

	conf_init();
	if (conf.series)
		conf_skip("this kernel has the series (the EMPTY extended update returned 1)");
	conf_dmabuf(&x, "udmabuf", 64 << 10);
	conf_ring(&ring, 8, 0);
	conf_table(&ring, 1);
	d = conf_desc(x.chunks[0].fd, conf.dev.fd);
	conf_expect(conf_update_desc(&ring, 0, &d), -EINVAL,
		    "a dma-buf descriptor on a kernel without the series");
}
