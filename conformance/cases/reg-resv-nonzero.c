// SPDX-License-Identifier: GPL-2.0
/*
 * reg-resv-nonzero: a descriptor with a non-zero reserved word: -EINVAL (the
 * words stay usable for later extensions only if refused today).
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
	d.__resv[5] = 1;
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL, "__resv[5] = 1");
}
