// SPDX-License-Identifier: GPL-2.0
/*
 * io-page-cache: dma-buf I/O over a range the namespace's page cache
 * holds, through a second, buffered (not O_DIRECT) open of it, the way
 * udev's probing leaves it after any writer closes the device:
 *  - a WRITE_FIXED over clean cached pages: the write must land (pread
 *    O_DIRECT) and a buffered read afterwards must see it (the direct
 *    write invalidates the cached pages; stale data would be a FINDING);
 *  - a READ_FIXED over dirty pages (a buffered write not yet written
 *    back): it must return the dirty data (written back first).
 * At the inline issue both get -EAGAIN from 7.2's block/fops.c (NOWAIT:
 * kiocb_invalidate_pages() for cached pages under a direct write,
 * kiocb_write_and_wait() for dirty ones under a direct read) and io_uring
 * retries them from io-wq. On v3 the retry imports the dma-buf map again,
 * so one map reference leaks (the reissue-reimport defect, notes 1.6,
 * here without any REQ_F_REISSUE): the dma-buf is then never released
 * and its release work waits forever in a kworker. The case reports that
 * as the known defect; a kernel that releases it passes.
 * conf-timeout: 120
 * conf-order: last
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conf.h"

#define LEN	16384u
#define W_OFF	(64u << 10)
#define R_OFF	(256u << 10)

/* are all of len bytes at off in the page cache of fd (RWF_NOWAIT read)? */
static bool cached(int fd, void *buf, size_t len, off_t off)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return preadv2(fd, &iov, 1, off, RWF_NOWAIT) == (ssize_t)len;
}

int main(void)
{
	unsigned char *want = NULL, *got = NULL;
	unsigned long ino;
	struct conf_ctx c;
	int bfd, ret;
	long at;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_dev_pattern(&conf.dev, 0, 1 << 20, 42);
	/* the slot's map first, from an I/O nowhere near the cached ranges */
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 768 << 10);
	if (posix_memalign((void **)&want, conf.page, LEN) ||
	    posix_memalign((void **)&got, conf.page, LEN))
		conf_fail("out of memory");
	bfd = open(conf.dev.path, O_RDWR | O_CLOEXEC);
	if (bfd < 0)
		conf_fail("a buffered open of %s: %s", conf.dev.path, strerror(errno));

	/* 1: WRITE_FIXED over clean cached pages */
	if (pread(bfd, got, LEN, W_OFF) != LEN)
		conf_fail("a buffered read of %s: %s", conf.dev.path, strerror(errno));
	conf_observe("write_range_cached", "%s", cached(bfd, got, LEN, W_OFF) ? "yes" : "no");
	conf_fill(want, LEN, 43);
	conf_cpu_begin(&c.x);
	memcpy(c.x.cpu, want, LEN);
	conf_cpu_end(&c.x);
	ret = conf_rw_retry(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, 0, LEN, W_OFF);
	if (ret != (int)LEN)
		conf_fail("WRITE_FIXED over cached pages: %s, expected %u", conf_res(ret), LEN);
	conf_pread(&conf.dev, got, LEN, W_OFF);
	at = conf_diff(got, want, LEN);
	if (at >= 0)
		conf_fail("WRITE_FIXED over cached pages: the device reads back wrong at byte %ld", at);
	if (pread(bfd, got, LEN, W_OFF) != LEN)
		conf_fail("a buffered read of %s: %s", conf.dev.path, strerror(errno));
	at = conf_diff(got, want, LEN);
	if (at >= 0)
		conf_fail("FINDING: after a WRITE_FIXED over cached pages a buffered read still sees the old data (byte %ld): the direct write did not invalidate the page cache",
			  at);

	/* 2: READ_FIXED over dirty pages */
	conf_fill(want, LEN, 44);
	if (pwrite(bfd, want, LEN, R_OFF) != LEN)
		conf_fail("a buffered write to %s: %s", conf.dev.path, strerror(errno));
	conf_cpu_begin(&c.x);
	memset(c.x.cpu, 0xa5, LEN);
	conf_cpu_end(&c.x);
	ret = conf_rw_retry(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, LEN, R_OFF);
	if (ret != (int)LEN)
		conf_fail("READ_FIXED over dirty pages: %s, expected %u", conf_res(ret), LEN);
	conf_cpu_begin(&c.x);
	at = conf_diff(c.x.cpu, want, LEN);
	conf_cpu_end(&c.x);
	if (at >= 0)
		conf_fail("FINDING: a READ_FIXED over dirty page-cache pages read stale data (byte %ld): they were not written back first",
			  at);
	close(bfd);
	conf_observe("eagain_reissues", "%lu", conf_eagains);

	conf_may_hang("v3-reissue-reimport", "closing the ring after I/O that io-wq retried over the page cache");
	io_uring_queue_exit(&c.ring);
	export_free(&c.x);
	ret = conf_dmabuf_wait(ino, 0, 10000);
	conf_observe("released", "%s", ret == 0 ? "yes" : ret < 0 ? "unknown (no debugfs)" : "no");
	free(want);
	free(got);
	if (ret == 1)
		conf_known("v3-reissue-reimport",
			   "a WRITE_FIXED over cached pages and a READ_FIXED over dirty ones: data right and coherent, but the dma-buf was not released 10 s after the ring closed (the io-wq retry took a second map reference)");
	conf_pass("a WRITE_FIXED over cached pages and a READ_FIXED over dirty ones: data right and coherent with the page cache%s",
		  ret == 0 ? "; the dma-buf was released after the ring closed" : "");
}
