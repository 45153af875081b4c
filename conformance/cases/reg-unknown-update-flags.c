// SPDX-License-Identifier: GPL-2.0
/*
 * reg-unknown-update-flags: update flags other than EXTENDED (bit 0, and a
 * high bit): -EINVAL.
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
	int ret;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	d = conf_desc(c.x.chunks[0].fd, conf.dev.fd);
	ret = conf_update(c.ring.ring_fd, IORING_REGISTER_BUFFERS_UPDATE, 0,
			  IORING_RSRC_UPDATE_EXTENDED | 1U, &d, 1);
	if (ret != -EINVAL)
		conf_fail("update flags EXTENDED|1: %s, expected -EINVAL", conf_res(ret));
	ret = conf_update(c.ring.ring_fd, IORING_REGISTER_BUFFERS_UPDATE, 0,
			  IORING_RSRC_UPDATE_EXTENDED | (1U << 31), &d, 1);
	conf_expect(ret, -EINVAL, "update flags EXTENDED|1<<31 (EXTENDED|1 gave -EINVAL too)");
}
