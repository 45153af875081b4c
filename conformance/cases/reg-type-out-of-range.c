// SPDX-License-Identifier: GPL-2.0
/*
 * reg-type-out-of-range: a descriptor type past the last one the kernel knows:
 * -EINVAL.
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
	d.type = 0xff;
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "descriptor type 255");
}
