// SPDX-License-Identifier: GPL-2.0
/*
 * reg-past-table: a dma-buf update into a slot past the table: -EINVAL.
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

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 4);
	d = conf_desc(c.x.chunks[0].fd, conf.dev.fd);
	conf_expect(conf_update_desc(&c.ring, 4, &d), -EINVAL, "slot 4 of a 4-slot table");
}
