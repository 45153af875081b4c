// SPDX-License-Identifier: GPL-2.0
/*
 * reg-fds-on-uaddr: dmabuf_fd / target_fd on a user-address (UADDR)
 * descriptor: -EINVAL.
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
	d.type = IO_REGBUF_TYPE_UADDR;
	d.uaddr = (uintptr_t)c.x.host;
	d.size = 64 << 10;
	d.target_fd = conf.dev.fd;
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "a UADDR descriptor with target_fd set");
}
