// SPDX-License-Identifier: GPL-2.0
/*
 * io-cross-end: a READ_FIXED / WRITE_FIXED that starts inside the dma-buf
 * and ends past it (addr + len > size): -EFAULT (v3 io_import_fixed ->
 * validate_fixed_range(); notes 1.3 and 1.5 "issue -EFAULT out of range").
 * Nothing is transferred: the device keeps its data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const size_t size = 64 << 10;
	unsigned char *pre, *post;
	struct conf_ctx c;
	int rd, wr;

	conf_setup(&c, "udmabuf", size, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 7);
	pre = conf_alloc(8192);
	post = conf_alloc(8192);
	conf_pread(&conf.dev, pre, 8192, 0);
	/* the last 4 KiB of the dma-buf plus 4 KiB beyond it */
	rd = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, size - 4096, 8192, 0);
	wr = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, size - 4096, 8192, 0);
	conf_observe("read", "%s", conf_res(rd));
	conf_observe("write", "%s", conf_res(wr));
	conf_pread(&conf.dev, post, 8192, 0);
	if (memcmp(pre, post, 8192))
		conf_fail("a WRITE_FIXED crossing the end of the dma-buf (%s) changed the device",
			  conf_res(wr));
	if (rd != wr)
		conf_fail("crossing the end: READ_FIXED %s, WRITE_FIXED %s, expected -EFAULT for both",
			  conf_res(rd), conf_res(wr));
	free(pre);
	free(post);
	conf_expect(rd, -EFAULT, "READ_FIXED/WRITE_FIXED of 8 KiB at the last 4 KiB of a 64 KiB dma-buf");
}
