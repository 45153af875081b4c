// SPDX-License-Identifier: GPL-2.0
/*
 * reg-uaddr: a user-address (UADDR) descriptor through the extended update is
 * a classic registered buffer: it takes its slot (1).
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
	conf_expect(conf_update_desc(&c.ring, 0, &d), 1, "a UADDR descriptor of the memfd pages");
}
