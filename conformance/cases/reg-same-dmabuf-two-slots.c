// SPDX-License-Identifier: GPL-2.0
/*
 * reg-same-dmabuf-two-slots: one dma-buf registered in two slots of one
 * ring for the same target: both registrations are accepted (v3 rsrc.c
 * makes one token and one attachment per slot and nothing refuses a
 * second). Reads through slot 0 and slot 1 into different parts of the
 * one dma-buf must both be right; after slot 0 is emptied, slot 1 still
 * reads and writes correctly (each slot holds its own references).
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
	int a, b, attached = -1;

	conf_setup(&c, "udmabuf", 256 << 10, 8, 0, 2);
	conf_no_page_cache();
	d = conf_desc(c.x.chunks[0].fd, conf.dev.fd);
	a = conf_update_desc(&c.ring, 0, &d);
	b = conf_update_desc(&c.ring, 1, &d);
	conf_observe("slot0", "%s", conf_res(a));
	conf_observe("slot1", "%s", conf_res(b));
	if (a != 1 || b != 1)
		conf_fail("one dma-buf in two slots: %s and %s, expected 1 and 1", conf_res(a),
			  conf_res(b));
	if (conf_dmabuf_find(conf_dmabuf_ino(c.x.chunks[0].fd), NULL, &attached) == 1)
		conf_observe("attachments", "%d", attached);
	conf_dev_pattern(&conf.dev, 0, 1 << 20, 30);
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 65536, 0);
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 1, &c.x, 131072, 65536, 65536);
	conf_check_write(&c.ring, &conf.dev, conf.dev.fd, 1, &c.x, 4096, 16384, 512 << 10, 31);
	a = conf_unregister_slot(&c.ring, 0);
	if (a != 1)
		conf_fail("emptying slot 0: %s", conf_res(a));
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 1, &c.x, 8192, 32768, 4096);
	conf_check_write(&c.ring, &conf.dev, conf.dev.fd, 1, &c.x, 0, 8192, 640 << 10, 32);
	conf_pass("one dma-buf in two slots: both accepted, both read right, and slot 1 still reads and writes right after slot 0 is emptied");
}
