// SPDX-License-Identifier: GPL-2.0
/*
 * reg-bad-target-fd: a target_fd that is no open file: -EBADF, checked before
 * the dma-buf.
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
	int fd;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	fd = dup(conf.dev.fd);
	close(fd);
	d = conf_desc(c.x.chunks[0].fd, fd);
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EBADF, "target_fd a closed descriptor");
}
