// SPDX-License-Identifier: GPL-2.0
/*
 * conc-nowait-storm: -EAGAIN at depth, and the v3 reissue-reimport defect
 * (notes 1.6). The series asks callers to reissue a spurious -EAGAIN (v3
 * patch 10's message). Two ways there are:
 *
 * - RWF_NOWAIT: -EAGAIN is final (REQ_F_NOWAIT: io_rw_should_reissue() is
 *   false) and reaches the CQE; the case reissues it. With RWF_NOWAIT an
 *   I/O larger than max_sectors_kb always gets it (blk-merge: "We can't
 *   sanely support splitting for a REQ_NOWAIT bio").
 * - Without RWF_NOWAIT, io_uring's own inline attempt is nonblocking too
 *   (IOCB_NOWAIT), so the same split gives -EAGAIN inside the kernel, and
 *   io_uring reissues the request from io-wq (REQ_F_REISSUE). v3's
 *   io_read_fixed() then imports the buffer again: a second map reference
 *   overwrites req->dmabuf_map, one is never dropped, the map's fence is
 *   never signalled, and the token can never be released (v4: "Fix
 *   io_uring re-import mishandling").
 *
 * Phase A, slot 0: rounds of 64 RWF_NOWAIT reads of 4 KiB, 64 KiB,
 * max_sectors_kb and twice that, each -EAGAIN reissued (at most 8 times;
 * the oversized ones never pass with RWF_NOWAIT); then slot 0 is emptied
 * and its token must go (its attachment leaves bufinfo within 5 s).
 * Phase B, slot 1 (the same dma-buf): the same 64 reads without RWF_NOWAIT,
 * which all complete with their length, the oversized ones through
 * io_uring's internal reissue. Every completed read must hold the
 * device's bytes (pread oracle). Then slot 1 is emptied (announced
 * with conf_may_hang, done in a thread with a 10 s bound): its token must
 * go too, and DMA_BUF_IOCTL_SYNC must not block (bound 5 s). On v3 it does
 * not go: the case ends with KNOWN-DEFECT v3-reissue-reimport, leaving
 * a kworker blocked for good on the fence (a hung-task report two minutes
 * later) and the dma-buf pinned, hence:
 *
 * conf-order: last
 * conf-timeout: 120
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>

#include "conf.h"

#define QD	64
#define TRIES	8

static unsigned int max_io, sizes[4];

static unsigned int io_len(unsigned int i)
{
	return sizes[i % 4];
}

/* bufinfo's unsignalled "DMABUF token" fences, or -1 */
static int token_fences(void)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "DMABUF token") && strstr(line, "unsignalled"))
			n++;
	fclose(f);
	return n;
}

static void submit_one(struct io_uring *ring, unsigned int slot, unsigned int i, bool nowait)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	uint64_t off = (uint64_t)i * 2 * max_io;

	if (!sqe)
		conf_fail("no free SQE");
	conf_prep_rw(sqe, IORING_OP_READ_FIXED, conf.dev.fd, slot, off, io_len(i), off);
	if (nowait)
		sqe->rw_flags = RWF_NOWAIT;
	sqe->user_data = i;
}

/*
 * QD reads on slot, RWF_NOWAIT or not; -EAGAIN reissued up to TRIES
 * times. Counts the -EAGAINs seen and the reads that never completed.
 */
static void round_of_reads(struct io_uring *ring, unsigned int slot, bool nowait,
			   const char *ref, const struct dmabuf_export *x,
			   unsigned int *eagain, unsigned int *never)
{
	unsigned int tries[QD] = { 0 }, left = QD, i;
	struct io_uring_cqe *cqe;

	for (i = 0; i < QD; i++)
		submit_one(ring, slot, i, nowait);
	while (left) {
		struct __kernel_timespec ts = { .tv_sec = 30 };
		int r;

		r = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, NULL);
		if (r == -ETIME)
			conf_fail("%u reads on slot %u did not complete in 30 s", left, slot);
		if (r < 0 && r != -EINTR)
			conf_fail("io_uring_submit_and_wait_timeout: %s", conf_res(r));
		while (!io_uring_peek_cqe(ring, &cqe)) {
			unsigned int k = (unsigned int)cqe->user_data;
			int res = cqe->res;

			io_uring_cqe_seen(ring, cqe);
			if (res == -EAGAIN) {
				(*eagain)++;
				if (++tries[k] < TRIES) {
					submit_one(ring, slot, k, nowait);
					continue;
				}
				(*never)++;
				left--;
				continue;
			}
			left--;
			if (res != (int)io_len(k))
				conf_fail("read %u (%u bytes%s) on slot %u: %s", k, io_len(k),
					  nowait ? ", RWF_NOWAIT" : "", slot, conf_res(res));
			conf_cpu_begin(x);
			r = memcmp((char *)x->cpu + (size_t)k * 2 * max_io,
				   ref + (size_t)k * 2 * max_io, io_len(k));
			conf_cpu_end(x);
			if (r)
				conf_fail("read %u (%u bytes) on slot %u completed but did not bring the device's bytes",
					  k, io_len(k), slot);
		}
	}
}

static long unregister_slot(void *ring)
{
	return conf_unregister_slot(ring, 1);
}

static long sync_start(void *x)
{
	conf_cpu_begin(x);
	return 0;
}

int main(void)
{
	unsigned int eagain_a = 0, never_a = 0, eagain_b = 0, never_b = 0, over = 0, i, round;
	struct conf_ctx c;
	unsigned long ino;
	char *ref;
	int att = -1, r;
	long ret = 0;
	size_t size;

	conf_init();
	max_io = conf_max_io(&conf.dev);
	if (max_io > (512u << 10))
		max_io = 512u << 10;
	sizes[0] = 4096;
	sizes[1] = 64 << 10;
	sizes[2] = max_io;
	sizes[3] = 2 * max_io;
	size = (size_t)QD * 2 * max_io;
	conf_setup(&c, "udmabuf", size, 2 * QD, 0, 2);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	if (conf_dmabuf_find(ino, NULL, NULL) != 1)
		conf_skip("debugfs dma_buf/bufinfo does not list the new dma-buf (debugfs not mounted?)");
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_register(&c.ring, 1, c.x.chunks[0].fd, conf.dev.fd);
	for (i = 0; i < 2; i++) {
		r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, i, 0, 4096, 0);
		if (r != 4096)
			conf_fail("the first READ_FIXED (4 KiB) on slot %u: %s", i, conf_res(r));
	}
	ref = conf_alloc(size);
	conf_fill(ref, size, 0x57041);
	conf_pwrite(&conf.dev, ref, size, 0);

	/* phase A: RWF_NOWAIT, -EAGAIN reissued by us */
	for (round = 0; round < 4; round++)
		round_of_reads(&c.ring, 0, true, ref, &c.x, &eagain_a, &never_a);
	conf_observe("nowait_eagain", "%u", eagain_a);
	conf_observe("nowait_never_completed", "%u", never_a);
	r = conf_unregister_slot(&c.ring, 0);
	if (r != 1)
		conf_fail("emptying slot 0: %s", conf_res(r));
	for (i = 0; i < 250; i++) {
		conf_dmabuf_find(ino, NULL, &att);
		if (att == 1)
			break;
		usleep(20000);
	}
	conf_observe("nowait_slot_released", "%s", att == 1 ? "yes" : "no");
	if (att != 1)
		conf_fail("slot 0, used only with RWF_NOWAIT (%u -EAGAIN reissued by the case), was emptied but its token is still attached 5 s later (%d attachments)",
			  eagain_a, att);

	/* phase B: no RWF_NOWAIT; the oversized reads are reissued inside io_uring */
	round_of_reads(&c.ring, 1, false, ref, &c.x, &eagain_b, &never_b);
	for (i = 0; i < QD; i++)
		over += io_len(i) > max_io;
	conf_observe("blocking_eagain_seen", "%u", eagain_b);
	conf_observe("internal_reissues_expected", "%u", over);

	conf_may_hang("v3-reissue-reimport", "unregister after %u reissued -EAGAIN (%u by the case with RWF_NOWAIT, %u reads split inside io_uring's nonblocking issue)",
		      eagain_a + over, eagain_a, over);
	if (!conf_timed_call(unregister_slot, &c.ring, 10000, &ret))
		conf_known("v3-reissue-reimport", "emptying slot 1 did not return in 10 s after %u oversized reads were reissued inside io_uring",
			   over);
	if (ret != 1)
		conf_fail("emptying slot 1: %s", conf_res((int)ret));
	for (i = 0; i < 250; i++) {
		conf_dmabuf_find(ino, NULL, &att);
		if (att == 0)
			break;
		usleep(20000);
	}
	conf_observe("blocking_slot_released", "%s", att == 0 ? "yes" : "no");
	if (att != 0) {
		bool synced = conf_timed_call(sync_start, &c.x, 5000, NULL);
		int fences = token_fences();

		conf_observe("unsignalled_token_fences", "%d", fences);
		conf_observe("dma_buf_sync", "%s", synced ? "returned" : "blocked 5 s");
		conf_known("v3-reissue-reimport", "after %u reads of %u bytes (over max_sectors_kb %u) were reissued inside io_uring, slot 1 was emptied (1) but its token was never released: still attached 5 s later, %d unsignalled 'DMABUF token' fence(s) in bufinfo, DMA_BUF_IOCTL_SYNC %s",
			   over, 2 * max_io, max_io >> 10, fences,
			   synced ? "returned" : "blocked for 5 s");
	}
	conf_cpu_begin(&c.x);
	conf_cpu_end(&c.x);
	export_free(&c.x);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the dma-buf is still in bufinfo 10 s after both slots were emptied and our fd closed");
	conf_pass("%u RWF_NOWAIT -EAGAIN reissued (%u reads never passed with RWF_NOWAIT), %u reads reissued inside io_uring: all data right, both tokens released",
		  eagain_a, never_a, over);
}
