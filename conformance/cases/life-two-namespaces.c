// SPDX-License-Identifier: GPL-2.0
/*
 * life-two-namespaces: one dma-buf registered in two slots of one ring,
 * slot 0 for CONF_DEV and slot 1 for CONF_DEV2 (namespaces of two
 * controllers here, so two PCI devices). Each registration attaches the
 * dma-buf to its namespace's device (v3 nvme_create_dmabuf_token():
 * dma_buf_dynamic_attach(dmabuf, dev->dev)), so bufinfo shows two
 * attachments, and each slot serves only its own file: a request on the
 * other namespace's fd is -EBADF (v3 io_import_dmabuf(): req->file !=
 * target_file; notes 1.3 and 1.5).
 *
 * Checked: reads from both namespaces into disjoint parts of the dma-buf,
 * and writes from it to both (each namespace gets what was read from the
 * other), move the right bytes (pread oracle on each namespace); slot 0
 * used on CONF_DEV2's fd gives -EBADF; after both slots are emptied and
 * our fd is gone, the dma-buf leaves bufinfo.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	unsigned int len = 128 << 10;
	struct conf_ctx c;
	unsigned long ino;
	char *ref1, *ref2, *got;
	int r, att = -1;
	long at;

	conf_setup(&c, "udmabuf", 2 * (size_t)len, 8, 0, 2);
	conf_need_dev2();
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	if (conf_dmabuf_find(ino, NULL, NULL) != 1)
		conf_skip("debugfs dma_buf/bufinfo does not list the new dma-buf (debugfs not mounted?)");
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_register(&c.ring, 1, c.x.chunks[0].fd, conf.dev2.fd);
	conf_dmabuf_find(ino, NULL, &att);
	conf_observe("attached", "%d", att);
	if (att != 2)
		conf_fail("one dma-buf registered for two namespaces has %d attached devices (2 expected)",
			  att);

	ref1 = conf_alloc(len);
	ref2 = conf_alloc(len);
	got = conf_alloc(len);
	conf_fill(ref1, len, 0x2a51);
	conf_fill(ref2, len, 0x2a52);
	conf_pwrite(&conf.dev, ref1, len, 0);
	conf_pwrite(&conf.dev2, ref2, len, 0);

	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, len, 0);
	if (r != (int)len)
		conf_fail("READ_FIXED from %s through slot 0: %s", conf.dev.path, conf_res(r));
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev2.fd, 1, len, len, 0);
	if (r != (int)len)
		conf_fail("READ_FIXED from %s through slot 1: %s", conf.dev2.path, conf_res(r));
	conf_cpu_begin(&c.x);
	at = conf_diff(c.x.cpu, ref1, len);
	if (at < 0)
		at = conf_diff((char *)c.x.cpu + len, ref2, len);
	conf_cpu_end(&c.x);
	if (at >= 0)
		conf_fail("the dma-buf does not hold what was read from the two namespaces (offset %ld in a part)",
			  at);

	/* each namespace gets the other's bytes, from the one dma-buf */
	r = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev2.fd, 1, 0, len, len);
	if (r != (int)len)
		conf_fail("WRITE_FIXED to %s through slot 1: %s", conf.dev2.path, conf_res(r));
	r = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, len, len, len);
	if (r != (int)len)
		conf_fail("WRITE_FIXED to %s through slot 0: %s", conf.dev.path, conf_res(r));
	conf_pread(&conf.dev2, got, len, len);
	at = conf_diff(got, ref1, len);
	if (at >= 0)
		conf_fail("%s does not hold what was read from %s and written through slot 1 (offset %ld)",
			  conf.dev2.path, conf.dev.path, at);
	conf_pread(&conf.dev, got, len, len);
	at = conf_diff(got, ref2, len);
	if (at >= 0)
		conf_fail("%s does not hold what was read from %s and written through slot 0 (offset %ld)",
			  conf.dev.path, conf.dev2.path, at);

	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev2.fd, 0, 0, len, 0);
	conf_observe("slot0_on_dev2", "%s", conf_res(r));
	if (r != -EBADF)
		conf_fail("slot 0 (registered for %s) used on %s: %s (-EBADF expected)", conf.dev.path,
			  conf.dev2.path, conf_res(r));

	if (conf_unregister_slot(&c.ring, 0) != 1 || conf_unregister_slot(&c.ring, 1) != 1)
		conf_fail("emptying the slots failed");
	export_free(&c.x);
	if (conf_dmabuf_wait(ino, 0, 10000) != 0)
		conf_fail("the dma-buf is still in bufinfo 10 s after both slots were emptied");
	conf_pass("one dma-buf for two namespaces: two attachments, reads from and writes to both right, the other namespace's fd -EBADF, released after");
}
