// SPDX-License-Identifier: GPL-2.0
/*
 * reg-regular-file: a regular file as the target: -EOPNOTSUPP (only block
 * devices whose driver makes dma-buf tokens).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	struct io_uring_regbuf_desc d;
	char path[] = "/tmp/conf-reg-regular-XXXXXX";
	int fd;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	fd = mkstemp(path);
	if (fd < 0)
		conf_fail("mkstemp: %s", strerror(errno));
	unlink(path);
	if (ftruncate(fd, 1 << 20))
		conf_fail("ftruncate: %s", strerror(errno));
	d = conf_desc(c.x.chunks[0].fd, fd);
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EOPNOTSUPP, "a regular file as target_fd");
}
