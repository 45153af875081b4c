// SPDX-License-Identifier: GPL-2.0
/*
 * reg-not-a-dmabuf: a dmabuf_fd that is an open file but no dma-buf (the
 * namespace itself): -EINVAL.
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
	d = conf_desc(conf.dev.fd, conf.dev.fd);
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "dmabuf_fd the block device");
}
