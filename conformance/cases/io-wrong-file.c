// SPDX-License-Identifier: GPL-2.0
/*
 * io-wrong-file: a dma-buf slot registered for the namespace's fd, used by
 * a READ_FIXED on another open() of the same namespace (a different struct
 * file) and, with CONF_DEV2, on the second namespace: -EBADF for both
 * (v3 io_import_dmabuf: req->file != db->target_file; notes 1.3, 1.5
 * "issue -EBADF"). The slot still works on its own file afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	int fd, ret;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 1);

	fd = open(conf.dev.path, O_RDWR | O_DIRECT);
	if (fd < 0)
		conf_fail("a second open of %s: %s", conf.dev.path, strerror(errno));
	ret = conf_rw(&c.ring, IORING_OP_READ_FIXED, fd, 0, 0, 4096, 0);
	conf_observe("other_open", "%s", conf_res(ret));
	if (ret != -EBADF)
		conf_fail("READ_FIXED on another open of %s (a different struct file): %s, expected -EBADF",
			  conf.dev.path, conf_res(ret));
	ret = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, fd, 0, 0, 4096, 0);
	conf_observe("other_open_write", "%s", conf_res(ret));
	if (ret != -EBADF)
		conf_fail("WRITE_FIXED on another open of %s: %s, expected -EBADF",
			  conf.dev.path, conf_res(ret));
	close(fd);

	if (conf.dev2.fd >= 0) {
		ret = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev2.fd, 0, 0, 4096, 0);
		conf_observe("dev2", "%s", conf_res(ret));
		if (ret != -EBADF)
			conf_fail("READ_FIXED on the second namespace %s: %s, expected -EBADF",
				  conf.dev2.path, conf_res(ret));
	}
	/* the refusal must not have broken the slot */
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 0);
	conf_pass("READ_FIXED and WRITE_FIXED on another open of the namespace%s: -EBADF, as documented; the slot still reads correctly on its own file",
		  conf.dev2.fd >= 0 ? " and READ_FIXED on the second namespace" : " (no CONF_DEV2)");
}
