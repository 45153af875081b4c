// SPDX-License-Identifier: GPL-2.0
/*
 * reg-desc-flags: a non-zero descriptor flags word: v3 ignores it and
 * registers; v5 and later refuse it with -EINVAL.
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
	d.flags = 1;
	conf_expect_either(conf_update_desc(&c.ring, 0, &d), 1, -EINVAL, "v5+",
			   "a dma-buf descriptor with flags 1");
}
