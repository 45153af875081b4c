// SPDX-License-Identifier: GPL-2.0
/*
 * reg-nonzero-size: a dma-buf descriptor with a size is refused with -EINVAL.
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

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	d = conf_desc(c.x.chunks[0].fd, conf.dev.fd);
	d.size = 4096;
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "a dma-buf descriptor with size 4096");
}
