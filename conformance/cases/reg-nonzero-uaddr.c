// SPDX-License-Identifier: GPL-2.0
/*
 * reg-nonzero-uaddr: a dma-buf descriptor with a user address is refused
 * with -EINVAL (the dma-buf's own size and offset 0 count).
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
	d.uaddr = (uintptr_t)c.x.cpu;
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "a dma-buf descriptor with uaddr set");
}
