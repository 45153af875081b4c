// SPDX-License-Identifier: GPL-2.0
/*
 * data-parallel: 1000 READ_FIXED submitted together on one ring (as
 * liburing's rw-dmabuf test does), each into its own part of one dma-buf:
 * all must complete whole and the dma-buf must then equal what
 * pread(O_DIRECT) reads. That they were in flight together is measured
 * independently of io_uring: a thread samples the block layer's count of
 * reads in flight (/sys/block/NAME/inflight) during the submit and reap,
 * and its maximum must reach 256, a quarter of them (io_uring's own
 * submitted-minus-completed at the return of the submit is observed too,
 * but completions that land during the submit syscall make it say little). The emulated device
 * drains requests while they are still being submitted (QEMU TCG here
 * showed 250-730 at once), so the batch is tried with reads of 16, 64 and
 * 128 KiB (slower for the device to serve) until the block layer holds
 * 256; below that at 128 KiB the case fails. The queue takes 1023
 * requests, so no tag shortage is expected. Should any read be reissued
 * internally after a block-layer -EAGAIN, v3 leaks a map reference (notes
 * 1.6): the dma-buf is then never released, which the case reports as that
 * known defect.
 * conf-timeout: 240
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define NR	1000u
#define MAXLEN	(128u << 10)
#define MIN_TOGETHER	256u

static char inflight_path[256];
static int stop;		/* atomic */
static unsigned int max_reads;	/* written by the sampler only */

static void *sampler(void *arg)
{
	int fd = open(inflight_path, O_RDONLY | O_CLOEXEC);
	char buf[64];

	(void)arg;
	if (fd < 0)
		return NULL;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		unsigned int r;

		if (n <= 0)
			break;
		buf[n] = 0;
		if (sscanf(buf, "%u", &r) == 1 && r > max_reads)
			max_reads = r;
	}
	close(fd);
	return NULL;
}

int main(void)
{
	static const unsigned int lens[] = { 16u << 10, 64u << 10, MAXLEN };
	unsigned int i, len = 0;
	unsigned long ino;
	const char *base;
	struct conf_ctx c;
	pthread_t th;
	int ret;

	conf_setup(&c, "udmabuf", (size_t)NR * MAXLEN, 1024, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_dev_pattern(&conf.dev, 0, (size_t)NR * MAXLEN, 25);
	/* the first I/O builds the map in io-wq; the 1000 then go inline */
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 0);
	base = strrchr(conf.dev.path, '/');
	snprintf(inflight_path, sizeof(inflight_path), "/sys/block/%s/inflight",
		 base ? base + 1 : conf.dev.path);
	if (access(inflight_path, R_OK))
		conf_skip("no %s to count the reads in flight", inflight_path);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]) && max_reads < MIN_TOGETHER; i++) {
		unsigned int in_flight;

		len = lens[i];
		max_reads = 0;
		__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
		if (pthread_create(&th, NULL, sampler, NULL))
			conf_fail("pthread_create: %s", strerror(errno));
		usleep(20000);
		in_flight = conf_check_batch_read(&c.ring, &conf.dev, 0, &c.x, NR, len, 0, 0);
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		pthread_join(th, NULL);
		conf_observe("batch", "len=%u in_flight_after_submit=%u block_layer_max_reads_in_flight=%u",
			     len, in_flight, max_reads);
	}
	conf_observe("eagain_reissues", "%lu", conf_eagains);
	if (max_reads < MIN_TOGETHER)
		conf_fail("the block layer never had more than %u of the %u reads in flight, even at %u KiB each: not the case it claims",
			  max_reads, NR, len >> 10);

	conf_may_hang("v3-reissue-reimport", "closing the ring after 1000 reads in flight");
	io_uring_queue_exit(&c.ring);
	export_free(&c.x);
	ret = conf_dmabuf_wait(ino, 0, 10000);
	conf_observe("released", "%s", ret == 0 ? "yes" : ret < 0 ? "unknown (no debugfs)" : "no");
	if (ret == 1)
		conf_known("v3-reissue-reimport",
			   "%u reads together (up to %u in flight in the block layer), all data correct, but the dma-buf was not released 10 s after the ring closed",
			   NR, max_reads);
	conf_pass("%u reads of %u KiB submitted together (up to %u in flight in the block layer): all data correct",
		  NR, len >> 10, max_reads);
}
