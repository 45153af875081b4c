// SPDX-License-Identifier: GPL-2.0
/*
 * reg-fds-on-empty: dmabuf_fd on an EMPTY descriptor: -EINVAL.
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
	memset(&d, 0, sizeof(d));
	d.type = IO_REGBUF_TYPE_EMPTY;
	d.dmabuf_fd = c.x.chunks[0].fd;
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "an EMPTY descriptor with dmabuf_fd set");
}
