// SPDX-License-Identifier: GPL-2.0
/*
 * conc-sqpoll-threads: SQPOLL rings used from several threads at once, the
 * same dma-buf registered in each: ring A (SQPOLL), ring B (SQPOLL with
 * IORING_SETUP_ATTACH_WQ to A, so A's SQ thread serves both) and ring C
 * (SQPOLL, its own SQ thread), one thread each. SQPOLL is allowed; the
 * issue from the SQ thread is nonblocking, so a first I/O with no DMA map
 * is punted to io-wq (notes 1.6). Each thread writes its part of the
 * dma-buf to its device regions and reads them back, 64 KiB per I/O at QD
 * 8 (within max_sectors_kb: the v3 reissue-reimport defect needs larger
 * I/O).
 *
 * Checked after the threads end: every I/O completed with its length, the
 * device holds what was written (pread oracle), the read-back parts hold
 * it too (CPU view), and the dma-buf leaves bufinfo once the rings are
 * closed and our fd is gone.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "conf.h"

#define NT	3
#define PART	(2u << 20)

static void sqpoll_ring(struct io_uring *ring, int attach_fd)
{
	struct io_uring_params p;
	int r;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = 100;
	if (attach_fd >= 0) {
		p.flags |= IORING_SETUP_ATTACH_WQ;
		p.wq_fd = attach_fd;
	}
	r = io_uring_queue_init_params(16, ring, &p);
	if (r)
		conf_fail("an SQPOLL ring%s: %s", attach_fd >= 0 ? " attached to another's SQ thread" : "",
			  conf_res(r));
	conf_table(ring, 1);
}

int main(void)
{
	struct conf_conc_job j[NT];
	struct io_uring rings[NT];
	pthread_t th[NT];
	struct dmabuf_export x;
	unsigned long ino;
	unsigned int t, eagain = 0;

	conf_init();
	conf_need_series();
	conf_dmabuf(&x, "udmabuf", NT * PART);
	ino = conf_dmabuf_ino(x.chunks[0].fd);
	sqpoll_ring(&rings[0], -1);
	sqpoll_ring(&rings[1], rings[0].ring_fd);
	sqpoll_ring(&rings[2], -1);
	conf_cpu_begin(&x);
	for (t = 0; t < NT; t++) {
		conf_fill((char *)x.cpu + t * PART, PART / 2, 0x5590 + t);
		memset((char *)x.cpu + t * PART + PART / 2, 0, PART / 2);
	}
	conf_cpu_end(&x);
	memset(j, 0, sizeof(j));
	for (t = 0; t < NT; t++) {
		j[t].ring = &rings[t];
		j[t].dmabuf_fd = x.chunks[0].fd;
		j[t].fd = conf.dev.fd;
		j[t].buf_w = t * PART;
		j[t].buf_r = t * PART + PART / 2;
		j[t].dev_off = (uint64_t)t * 4 * (PART / 2);
		j[t].len = PART / 2;
		j[t].rounds = 4;
		j[t].bs = 64 << 10;
		j[t].qd = 8;
		if (pthread_create(&th[t], NULL, conf_conc_run, &j[t]))
			conf_fail("pthread_create: %s", strerror(errno));
	}
	for (t = 0; t < NT; t++) {
		pthread_join(th[t], NULL);
		eagain += j[t].eagain;
	}
	conf_observe("eagain_reissued", "%u", eagain);
	conf_cpu_begin(&x);
	conf_conc_check(j, NT, x.cpu, &conf.dev);
	conf_cpu_end(&x);
	for (t = 0; t < NT; t++)
		io_uring_queue_exit(&rings[t]);
	export_free(&x);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the dma-buf is still in bufinfo 10 s after the SQPOLL rings were closed");
	conf_pass("3 SQPOLL rings (two sharing an SQ thread), a thread each, one dma-buf: 4 rounds of 1 MiB out and back each, all bytes right, released after");
}
