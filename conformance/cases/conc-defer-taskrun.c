// SPDX-License-Identifier: GPL-2.0
/*
 * conc-defer-taskrun: several rings set up with SINGLE_ISSUER |
 * DEFER_TASKRUN (completions run only when their task waits; notes 1.6:
 * covered by the series' liburing test), each made by and used from its
 * own thread, the same dma-buf registered in each. Each thread writes its
 * part of the dma-buf to its device regions and reads them back, 64 KiB
 * per I/O at QD 8 (within max_sectors_kb: the v3 reissue-reimport defect
 * needs larger I/O). A ring with these flags must be used by the task
 * that made it, so each job makes its own (conf_conc_run()).
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

#define NT	4
#define PART	(2u << 20)

int main(void)
{
	struct conf_conc_job j[NT];
	pthread_t th[NT];
	struct dmabuf_export x;
	struct io_uring probe;
	unsigned long ino;
	unsigned int t, eagain = 0;

	conf_init();
	conf_need_series();
	/* skips when the kernel lacks the flags */
	conf_ring(&probe, 4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
	io_uring_queue_exit(&probe);
	conf_dmabuf(&x, "udmabuf", NT * PART);
	ino = conf_dmabuf_ino(x.chunks[0].fd);
	conf_cpu_begin(&x);
	for (t = 0; t < NT; t++) {
		conf_fill((char *)x.cpu + t * PART, PART / 2, 0xdef0 + t);
		memset((char *)x.cpu + t * PART + PART / 2, 0, PART / 2);
	}
	conf_cpu_end(&x);
	memset(j, 0, sizeof(j));
	for (t = 0; t < NT; t++) {
		j[t].flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
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
	export_free(&x);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the dma-buf is still in bufinfo 10 s after the DEFER_TASKRUN rings were closed");
	conf_pass("%u DEFER_TASKRUN rings, a thread each, one dma-buf: 4 rounds of 1 MiB out and back each, all bytes right, released after",
		  NT);
}
