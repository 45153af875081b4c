// SPDX-License-Identifier: GPL-2.0
/*
 * reg-bad-dmabuf-fd: a dmabuf_fd that is no open file: -EBADF.
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
	fd = dup(c.x.chunks[0].fd);
	close(fd);
	d = conf_desc(fd, conf.dev.fd);
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EBADF, "dmabuf_fd a closed descriptor");
}
