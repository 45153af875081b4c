// SPDX-License-Identifier: GPL-2.0
/*
 * io-eagain-reissue: RWF_NOWAIT reads on a dma-buf slot at a depth the block
 * layer cannot take (the queue's nr_requests lowered to 4, then 256 reads
 * submitted together): the requests it has no tag for end with -EAGAIN in
 * their CQEs (REQ_NOWAIT bio -> bio_wouldblock_error(); with RWF_NOWAIT
 * io_uring does not reissue internally, REQ_F_NOWAIT, 7.2 rw.c). The
 * series' contract (v3 patch 10: "The user should also be prepared to
 * handle spurious -EAGAIN by reissuing the request"; notes 1.6) is that
 * the same request, reissued, then works: every read is reissued until it
 * completes, and all the data must be right.
 *
 * Also observed, not judged: a RWF_NOWAIT read on a slot that has no DMA
 * map yet. v3 builds the map only in io-wq (notes 1.6); the import's
 * -EAGAIN comes before io_rw_init_file() marks the request REQ_F_NOWAIT,
 * so io_uring still punts it to io-wq, which maps and reads (v3 on 7.2:
 * 4096 at the first try).
 *
 * The slot is unregistered at the end and its dma-buf must be released.
 * On v3 a request reissued *internally* after -EAGAIN takes a second map
 * reference (notes 1.6, the reissue-reimport leak): then the dma-buf is
 * never released, and the case reports that known defect.
 * conf-timeout: 180
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define NR	256u
#define LEN	4096u

static void prep(struct io_uring *ring, unsigned int slot, unsigned int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		conf_fail("no free SQE");
	conf_prep_rw(sqe, IORING_OP_READ_FIXED, conf.dev.fd, slot, (uint64_t)i * LEN, LEN,
		     (uint64_t)i * LEN);
	sqe->rw_flags = RWF_NOWAIT;
	sqe->user_data = i;
}

static int wait_one(struct io_uring *ring, unsigned int *id)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(ring, &cqe);

	if (ret)
		conf_fail("io_uring_wait_cqe: %s", conf_res(ret));
	ret = cqe->res;
	*id = (unsigned int)cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

static char nr_path[256], nr_old[32];

static void restore_nr(void)
{
	if (nr_old[0])
		conf_write_file(nr_path, nr_old);
}

int main(void)
{
	unsigned int i, id, done = 0, max_in_flight = 0, eagain = 0, cold = 0;
	unsigned long ino;
	unsigned char *ref;
	const char *base;
	struct conf_ctx c;
	int ret;

	conf_setup(&c, "udmabuf", NR * LEN, 2 * NR, 0, 2);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_register(&c.ring, 1, c.x.chunks[0].fd, conf.dev.fd);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_dev_pattern(&conf.dev, 0, NR * LEN, 17);

	/* a cold slot (1): no map yet */
	for (i = 0; i < 20; i++) {
		prep(&c.ring, 1, 0);
		io_uring_submit(&c.ring);
		ret = wait_one(&c.ring, &id);
		if (ret != -EAGAIN)
			break;
		cold++;
		usleep(10000);
	}
	conf_observe("cold_slot_nowait", "%s after %u reissues", conf_res(ret), cold);

	/* slot 0 gets its map from an ordinary read */
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, LEN, 0);

	base = strrchr(conf.dev.path, '/');
	snprintf(nr_path, sizeof(nr_path), "/sys/block/%s/queue/nr_requests",
		 base ? base + 1 : conf.dev.path);
	if (conf_read_file(nr_path, nr_old, sizeof(nr_old)))
		nr_old[0] = 0;
	atexit(restore_nr);
	ret = nr_old[0] ? conf_write_file(nr_path, "4") : -ENOENT;
	conf_observe("nr_requests", "%s -> 4: %s", nr_old[0] ? nr_old : "?", conf_res(ret));

	conf_cpu_begin(&c.x);
	memset(c.x.cpu, 0xa5, NR * LEN);
	conf_cpu_end(&c.x);
	for (i = 0; i < NR; i++)
		prep(&c.ring, 0, i);
	ret = io_uring_submit(&c.ring);
	if (ret != (int)NR)
		conf_fail("io_uring_submit of %u reads: %s", NR, conf_res(ret));
	while (done < NR) {
		unsigned int in_flight = NR - done - io_uring_cq_ready(&c.ring);

		if (in_flight > max_in_flight)
			max_in_flight = in_flight;
		ret = wait_one(&c.ring, &id);
		if (ret == -EAGAIN) {
			if (++eagain > 1000000)
				conf_fail("still -EAGAIN after 1000000 reissues (%u of %u reads done)",
					  done, NR);
			prep(&c.ring, 0, id);
			if (io_uring_submit(&c.ring) != 1)
				conf_fail("io_uring_submit of a reissue failed");
			continue;
		}
		if (ret != (int)LEN)
			conf_fail("RWF_NOWAIT read %u: %s, expected %u (or -EAGAIN)", id,
				  conf_res(ret), LEN);
		done++;
	}
	restore_nr();
	nr_old[0] = 0;
	conf_observe("eagain_cqes", "%u", eagain);
	conf_observe("max_in_flight", "%u", max_in_flight);
	if (!eagain)
		conf_fail("no read came back -EAGAIN (nr_requests 4, %u RWF_NOWAIT reads together): the case did not test what it claims",
			  NR);
	ref = conf_alloc(NR * LEN);
	conf_pread(&conf.dev, ref, NR * LEN, 0);
	conf_cpu_begin(&c.x);
	ret = conf_diff(c.x.cpu, ref, NR * LEN);
	conf_cpu_end(&c.x);
	if (ret >= 0)
		conf_fail("after %u -EAGAIN reissues the dma-buf differs from the device at byte %d (read %d)",
			  eagain, ret, ret / (int)LEN);
	free(ref);

	conf_may_hang("v3-reissue-reimport", "unregistering a slot after an -EAGAIN storm");
	io_uring_queue_exit(&c.ring);
	export_free(&c.x);
	ret = conf_dmabuf_wait(ino, 0, 10000);
	conf_observe("released", "%s", ret == 0 ? "yes" : ret < 0 ? "unknown (no debugfs)" : "no");
	if (ret == 1)
		conf_known("v3-reissue-reimport",
			   "%u reads, %u -EAGAIN CQEs reissued, data correct, but the dma-buf was not released 10 s after the ring was closed",
			   NR, eagain);
	conf_pass("%u RWF_NOWAIT reads at nr_requests 4: %u -EAGAIN CQEs, each reissued; all data correct%s",
		  NR, eagain, ret == 0 ? "; the dma-buf was released after the ring closed" : "");
}
