// SPDX-License-Identifier: GPL-2.0
/*
 * conc-threads: four threads, each with its own ring, the same dma-buf in
 * each ring's table (four tokens and attachments: v3 makes one per
 * registration), each thread on its own part of the dma-buf and of the
 * namespace, all at once. Each thread writes its part's first half
 * (filled by the CPU beforehand) to four device regions with WRITE_FIXED
 * and reads each back into its part's second half with READ_FIXED, 64 KiB
 * per I/O at QD 8 (within max_sectors_kb: the v3 reissue-reimport defect
 * needs larger I/O).
 *
 * Checked after the threads end: every I/O completed with its length, the
 * device regions hold what was written (pread oracle), the read-back
 * halves hold it too (CPU view), and the dma-buf leaves bufinfo once the
 * rings are closed and our fd is gone.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "conf.h"

#define NT	4
#define PART	(2u << 20)	/* per thread: 1 MiB out, 1 MiB back */

int main(void)
{
	struct conf_conc_job j[NT];
	pthread_t th[NT];
	struct conf_ctx c;
	unsigned long ino;
	unsigned int t, eagain = 0;

	conf_setup(&c, "udmabuf", NT * PART, 8, 0, 1);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_cpu_begin(&c.x);
	for (t = 0; t < NT; t++) {
		conf_fill((char *)c.x.cpu + t * PART, PART / 2, 0xc0c0 + t);
		memset((char *)c.x.cpu + t * PART + PART / 2, 0, PART / 2);
	}
	conf_cpu_end(&c.x);
	memset(j, 0, sizeof(j));
	for (t = 0; t < NT; t++) {
		j[t].dmabuf_fd = c.x.chunks[0].fd;
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
	conf_cpu_begin(&c.x);
	conf_conc_check(j, NT, c.x.cpu, &conf.dev);
	conf_cpu_end(&c.x);
	export_free(&c.x);
	io_uring_queue_exit(&c.ring);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the dma-buf is still in bufinfo 10 s after the threads' rings were closed");
	conf_pass("%u threads, a ring each, one dma-buf: %u rounds of 1 MiB out and back each, all bytes right, released after",
		  NT, 4);
}
