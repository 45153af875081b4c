// SPDX-License-Identifier: GPL-2.0
/*
 * reg-dmabuf: a udmabuf registered against an O_DIRECT nvme-pci namespace
 * takes its slot: the update returns 1 (v3 rsrc.c).
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
	conf_expect(conf_update_desc(&c.ring, 0, &d), 1, "a udmabuf descriptor for the namespace");
}
