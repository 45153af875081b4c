// SPDX-License-Identifier: GPL-2.0
/*
 * life-close-ring-inflight: io_uring_queue_exit() with READ_FIXEDs on a
 * dma-buf slot in flight, the ring's registration being the dma-buf's only
 * reference (our fd closed, the memfd unmapped). Closing the ring returns
 * at once; the ring's exit work waits for the requests, then frees the
 * table, and the token's release is another async work (v3
 * io_dmabuf_token_release(); notes 1.2 step 5), so the dma-buf leaves
 * bufinfo some time after.
 *
 * Checked: I/O was in flight at the close (submitted minus completed);
 * io_uring_queue_exit() returns within 5 s; bufinfo returns to the count
 * before the case within 10 s; the namespace still reads (pread). I/O
 * stays within max_sectors_kb (the v3 reissue-reimport defect needs larger
 * I/O).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "conf.h"

#define MAX_QD	64

static long queue_exit(void *ring)
{
	io_uring_queue_exit(ring);
	return 0;
}

int main(void)
{
	unsigned int len, qd, in_flight = 0;
	struct conf_batch b;
	struct conf_ctx c;
	unsigned long ino;
	long before, n;
	uint64_t t0, t1;
	void *buf;
	int r;

	before = conf_dmabuf_count(NULL);
	conf_init();
	if (before < 0)
		conf_skip("debugfs dma_buf/bufinfo is not readable (debugfs not mounted?)");
	len = conf_max_io(&conf.dev);
	if (len > (512u << 10))
		len = 512u << 10;
	conf_setup(&c, "udmabuf", (size_t)MAX_QD * len, 2 * MAX_QD, 0, 1);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, 4096, 0);
	if (r != 4096)
		conf_fail("the first READ_FIXED (4 KiB): %s", conf_res(r));
	export_free(&c.x);
	if (conf_dmabuf_find(ino, NULL, NULL) != 1)
		conf_fail("the registered dma-buf left bufinfo when our fd was closed");

	for (qd = 16; qd <= MAX_QD; qd *= 2) {
		memset(&b, 0, sizeof(b));
		b.len = len;
		conf_batch_submit(&c.ring, &b, IORING_OP_READ_FIXED, conf.dev.fd, 0, qd, 0, 0);
		in_flight = conf_batch_in_flight(&c.ring, &b);
		if (in_flight)
			break;
		if (conf_batch_reap(&c.ring, &b, 30000))
			conf_fail("%u READ_FIXEDs of %u bytes did not complete in 30 s", qd, len);
	}
	if (!in_flight)
		conf_fail("no I/O was in flight after submitting up to %u READ_FIXEDs of %u bytes: not the case it claims",
			  MAX_QD, len);
	t0 = conf_now_ns();
	if (!conf_timed_call(queue_exit, &c.ring, 5000, NULL))
		conf_fail("io_uring_queue_exit with %u I/Os in flight did not return in 5 s", in_flight);
	conf_observe("in_flight", "%u", in_flight);
	conf_observe("submitted", "%u", b.submitted);
	n = conf_dmabuf_count_wait(before, 10000);
	t1 = conf_now_ns();
	conf_observe("release_ms", "%llu", (unsigned long long)(t1 - t0) / 1000000);
	if (n != before)
		conf_fail("bufinfo lists %ld dma-bufs 10 s after the ring was closed with %u I/Os in flight, %ld before the case (dma-buf still listed: %d)",
			  n, in_flight, before, conf_dmabuf_find(ino, NULL, NULL));
	buf = conf_alloc(len);
	conf_pread(&conf.dev, buf, len, 0);
	conf_pass("ring closed with %u of %u READ_FIXEDs in flight: queue_exit returned, the dma-buf was released %llu ms later, the namespace still reads",
		  in_flight, b.submitted, (unsigned long long)(t1 - t0) / 1000000);
}
