// SPDX-License-Identifier: GPL-2.0
/*
 * reg-no-table: a dma-buf update on a ring without a buffer table: -ENXIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct dmabuf_export x;
	struct io_uring ring;
	struct io_uring_regbuf_desc d;

	conf_init();
	conf_need_series();
	conf_dmabuf(&x, "udmabuf", 64 << 10);
	conf_ring(&ring, 8, 0);
	d = conf_desc(x.chunks[0].fd, conf.dev.fd);
	conf_expect(conf_update_desc(&ring, 0, &d), -ENXIO, "a dma-buf update with no buffer table");
}
