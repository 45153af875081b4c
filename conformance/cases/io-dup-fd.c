// SPDX-License-Identifier: GPL-2.0
/*
 * io-dup-fd: a dup() of the registration's target fd is the same struct
 * file, so READ_FIXED and WRITE_FIXED through it work (v3 io_import_dmabuf
 * compares struct files; notes 1.3). Data checked against pread/pwrite on
 * ordinary memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	int fd;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_no_page_cache();
	fd = dup(conf.dev.fd);
	if (fd < 0)
		conf_fail("dup: %s", strerror(errno));
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 2);
	conf_check_read(&c.ring, &conf.dev, fd, 0, &c.x, 4096, 8192, 4096);
	conf_check_write(&c.ring, &conf.dev, fd, 0, &c.x, 0, 16384, 32768, 3);
	/* and the other way round: registered for the dup, used on the original */
	conf_register(&c.ring, 0, c.x.chunks[0].fd, fd);
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 32768);
	conf_pass("READ_FIXED and WRITE_FIXED on a dup of the target fd (and the original fd for a slot registered on the dup): correct data");
}
