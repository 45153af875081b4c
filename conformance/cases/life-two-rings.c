// SPDX-License-Identifier: GPL-2.0
/*
 * life-two-rings: one dma-buf registered in two rings (slot 0 of each, the
 * same namespace). Each registration makes its own token and attachment
 * (v3 io_register_dmabuf() -> io_dmabuf_token_create() ->
 * nvme_create_dmabuf_token(): dma_buf_dynamic_attach()), so bufinfo shows
 * two attached devices.
 *
 * Checked: reads through each ring into its own part of the dma-buf and
 * writes from it through each ring move the right bytes (pread oracle),
 * also with both rings' I/O in flight at once; closing one ring drops one
 * attachment and leaves the other ring's I/O working; after both rings are
 * closed and our fd is gone, the dma-buf leaves bufinfo.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define QD	4

int main(void)
{
	unsigned int len = 64 << 10;
	struct conf_batch b1, b2;
	struct io_uring r2;
	struct conf_ctx c;
	unsigned long ino;
	char *ref, *got;
	int r, att = -1;
	long at;

	conf_setup(&c, "udmabuf", 4 * QD * (size_t)len, 2 * QD, 0, 1);
	conf_ring(&r2, 2 * QD, 0);
	conf_table(&r2, 1);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	if (conf_dmabuf_find(ino, NULL, NULL) != 1)
		conf_skip("debugfs dma_buf/bufinfo does not list the new dma-buf (debugfs not mounted?)");
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_register(&r2, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dmabuf_find(ino, NULL, &att);
	conf_observe("attached_two_rings", "%d", att);
	if (att != 2)
		conf_fail("one dma-buf registered in two rings has %d attached devices (2 expected: a token each)",
			  att);

	ref = conf_alloc(4 * QD * (size_t)len);
	got = conf_alloc(QD * (size_t)len);
	conf_fill(ref, 4 * QD * (size_t)len, 0x7e01);
	conf_pwrite(&conf.dev, ref, 2 * QD * (size_t)len, 0);

	/* reads through both rings in flight at once, into disjoint parts */
	memset(&b1, 0, sizeof(b1));
	memset(&b2, 0, sizeof(b2));
	b1.len = b2.len = len;
	conf_batch_submit(&c.ring, &b1, IORING_OP_READ_FIXED, conf.dev.fd, 0, QD, 0, 0);
	conf_batch_submit(&r2, &b2, IORING_OP_READ_FIXED, conf.dev.fd, 0, QD,
			  QD * (size_t)len, QD * (size_t)len);
	if (conf_batch_reap(&c.ring, &b1, 30000) || conf_batch_reap(&r2, &b2, 30000))
		conf_fail("reads through the two rings did not complete in 30 s");
	if (b1.ok != QD || b2.ok != QD)
		conf_fail("reads through ring 1: %u of %u ok, ring 2: %u of %u ok (errors %s)", b1.ok,
			  QD, b2.ok, QD, conf_batch_errs(b1.ok != QD ? &b1 : &b2));
	conf_cpu_begin(&c.x);
	at = conf_diff(c.x.cpu, ref, 2 * QD * (size_t)len);
	/* the part written next: new bytes, put there by the CPU */
	memcpy((char *)c.x.cpu + 2 * QD * (size_t)len, ref + 2 * QD * (size_t)len,
	       2 * QD * (size_t)len);
	conf_cpu_end(&c.x);
	if (at >= 0)
		conf_fail("the dma-buf does not hold what the two rings read (offset %ld)", at);

	/* writes through both rings, from the CPU-filled part */
	memset(&b1, 0, sizeof(b1));
	memset(&b2, 0, sizeof(b2));
	b1.len = b2.len = len;
	conf_batch_submit(&c.ring, &b1, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, QD,
			  2 * QD * (size_t)len, 2 * QD * (size_t)len);
	conf_batch_submit(&r2, &b2, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, QD,
			  3 * QD * (size_t)len, 3 * QD * (size_t)len);
	if (conf_batch_reap(&c.ring, &b1, 30000) || conf_batch_reap(&r2, &b2, 30000))
		conf_fail("writes through the two rings did not complete in 30 s");
	if (b1.ok != QD || b2.ok != QD)
		conf_fail("writes through ring 1: %u of %u ok, ring 2: %u of %u ok", b1.ok, QD,
			  b2.ok, QD);
	conf_pread(&conf.dev, got, QD * (size_t)len, 2 * QD * (size_t)len);
	at = conf_diff(got, ref + 2 * QD * (size_t)len, QD * (size_t)len);
	if (at < 0) {
		conf_pread(&conf.dev, got, QD * (size_t)len, 3 * QD * (size_t)len);
		at = conf_diff(got, ref + 3 * QD * (size_t)len, QD * (size_t)len);
	}
	if (at >= 0)
		conf_fail("the device does not hold what the two rings wrote (offset %ld in a part)", at);

	io_uring_queue_exit(&c.ring);
	for (r = 0; r < 250; r++) {
		conf_dmabuf_find(ino, NULL, &att);
		if (att == 1)
			break;
		usleep(20000);
	}
	conf_observe("attached_after_ring1_exit", "%d", att);
	if (att != 1)
		conf_fail("5 s after ring 1 was closed the dma-buf has %d attached devices (1 expected)",
			  att);
	r = conf_rw(&r2, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, len, 3 * QD * (size_t)len);
	if (r != (int)len)
		conf_fail("a READ_FIXED through ring 2 after ring 1 was closed: %s", conf_res(r));
	conf_cpu_begin(&c.x);
	at = conf_diff(c.x.cpu, ref + 3 * QD * (size_t)len, len);
	conf_cpu_end(&c.x);
	if (at >= 0)
		conf_fail("a READ_FIXED through ring 2 after ring 1 was closed brought other bytes (offset %ld)",
			  at);
	io_uring_queue_exit(&r2);
	export_free(&c.x);
	if (conf_dmabuf_wait(ino, 0, 10000) != 0)
		conf_fail("the dma-buf is still in bufinfo 10 s after both rings were closed");
	conf_pass("one dma-buf in two rings: two attachments, reads and writes through both (also at once) right, one ring's close left the other working, released after both");
}
