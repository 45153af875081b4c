// SPDX-License-Identifier: GPL-2.0
/*
 * reg-buffered-bdev: the namespace opened without O_DIRECT as the target:
 * -EINVAL (v3 refuses page-cache I/O into a dma-buf at registration).
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
	fd = open(conf.dev.path, O_RDWR);
	if (fd < 0)
		conf_fail("open %s: %s", conf.dev.path, strerror(errno));
	d = conf_desc(c.x.chunks[0].fd, fd);
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "the namespace without O_DIRECT");
}
