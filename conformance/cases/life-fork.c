// SPDX-License-Identifier: GPL-2.0
/*
 * life-fork: fork() with a registered dma-buf table. The child inherits
 * the ring fd and the ring's shared mappings; io_uring lets another task
 * submit to a ring set up without SINGLE_ISSUER, so the child's
 * READ_FIXEDs on the inherited slots are expected to work (v3 adds no task
 * check: io_import_dmabuf() checks only the request's file), one on a
 * warm slot and one on a slot whose DMA map the child's first I/O builds
 * (through the child's io-wq). What the child got is recorded; wrong
 * bytes with a full-length result fail the case.
 *
 * Checked for the parent, after the child has exited: the dma-buf is
 * still listed with its two attachments (one per slot), and I/O through
 * both slots moves the right bytes (pread oracle); the dma-buf leaves
 * bufinfo after both slots are emptied. liburing keeps the SQ tail in
 * process memory, so the parent takes it back from the shared ring after
 * the child's submissions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "conf.h"

struct shared {
	int res[2];	/* READ_FIXED on the warm slot 0, the cold slot 1 */
	int data[2];	/* 1: bytes right, 0: wrong, -1: not checked */
};

static int child_read(struct io_uring *ring, unsigned int slot, uint64_t buf_off,
		      unsigned int len, uint64_t dev_off)
{
	struct conf_batch b;
	int res = -ENODATA;

	memset(&b, 0, sizeof(b));
	b.len = len;
	b.res = &res;	/* one I/O: user_data 0 */
	conf_batch_submit(ring, &b, IORING_OP_READ_FIXED, conf.dev.fd, slot, 1, buf_off,
			  dev_off);
	if (conf_batch_reap(ring, &b, 20000))
		return -ETIME;
	return res;
}

int main(void)
{
	struct shared *s;
	struct conf_ctx c;
	unsigned int len = 64 << 10, i;
	unsigned long ino;
	int status, r, att = -1;
	char *ref, *got;
	uint64_t end;
	pid_t pid;
	long at;

	conf_setup(&c, "udmabuf", 4 * len, 8, 0, 2);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	if (conf_dmabuf_find(ino, NULL, NULL) != 1)
		conf_skip("debugfs dma_buf/bufinfo does not list the new dma-buf (debugfs not mounted?)");
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_register(&c.ring, 1, c.x.chunks[0].fd, conf.dev.fd);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, 4096, 0);
	if (r != 4096)
		conf_fail("the first READ_FIXED (4 KiB) on slot 0: %s", conf_res(r));

	ref = conf_alloc(4 * len);
	got = conf_alloc(len);
	conf_fill(ref, 4 * len, 0xf0a4);
	conf_pwrite(&conf.dev, ref, 4 * len, 0);
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		conf_fail("mmap of shared memory: %s", strerror(errno));
	s->res[0] = s->res[1] = -ENODATA;
	s->data[0] = s->data[1] = -1;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		conf_fail("fork: %s", strerror(errno));
	if (!pid) {
		dup2(2, 1);	/* a FAIL of the child's is no result line */
		for (i = 0; i < 2; i++) {
			s->res[i] = child_read(&c.ring, i, (uint64_t)i * len, len,
					       (uint64_t)i * len);
			if (s->res[i] == (int)len)
				s->data[i] = conf_diff((char *)c.x.cpu + (size_t)i * len,
						       ref + (size_t)i * len, len) < 0;
		}
		_exit(0);
	}
	end = conf_now_ns() + 60000000000ull;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && conf_now_ns() < end)
		usleep(10000);
	if (r != pid)
		conf_fail("the child did not exit in 60 s");
	conf_observe("child_read_warm_slot", "%s", conf_res(s->res[0]));
	conf_observe("child_read_cold_slot", "%s", conf_res(s->res[1]));
	conf_observe("child_data", "warm=%d cold=%d", s->data[0], s->data[1]);
	conf_observe("child_status", "0x%x", status);
	for (i = 0; i < 2; i++)
		if (s->data[i] == 0)
			conf_fail("the child's READ_FIXED on slot %u returned %d but the dma-buf does not hold the device's bytes",
				  i, s->res[i]);

	/* the child moved the kernel's SQ tail: take it back */
	c.ring.sq.sqe_head = c.ring.sq.sqe_tail = *c.ring.sq.ktail;

	r = conf_dmabuf_find(ino, NULL, &att);
	conf_observe("after_child", "listed=%d attached=%d", r, att);
	if (r != 1 || att != 2)
		conf_fail("after the child's exit the dma-buf is listed %d with %d attached devices (1, 2 expected)",
			  r, att);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 2 * len, len, 2 * len);
	if (r != (int)len)
		conf_fail("the parent's READ_FIXED on slot 0 after the child's exit: %s", conf_res(r));
	r = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 1, 2 * len, len, 3 * len);
	if (r != (int)len)
		conf_fail("the parent's WRITE_FIXED on slot 1 after the child's exit: %s", conf_res(r));
	conf_pread(&conf.dev, got, len, 3 * len);
	at = conf_diff(got, ref + 2 * len, len);
	if (at >= 0)
		conf_fail("the parent's read through slot 0 and write through slot 1 did not move the device's bytes (offset %ld)",
			  at);
	if (conf_unregister_slot(&c.ring, 0) != 1 || conf_unregister_slot(&c.ring, 1) != 1)
		conf_fail("emptying the slots failed");
	export_free(&c.x);
	if (conf_dmabuf_wait(ino, 0, 10000) != 0)
		conf_fail("the dma-buf is still in bufinfo 10 s after both slots were emptied");
	conf_pass("after fork the child's READ_FIXEDs returned %s (warm slot) and %s (cold slot)%s; the parent's I/O through both slots stayed right and the dma-buf was released",
		  conf_res(s->res[0]), conf_res(s->res[1]),
		  s->data[0] == 1 && s->data[1] == 1 ? " with the device's bytes" : "");
}
