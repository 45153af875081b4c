// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the conformance cases; see conf.h for the protocol.
 * The series' registration goes through the engine's regbuf code; the
 * exporters are the engine's too, so a case and fio make their dma-bufs
 * the same way.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "conf.h"
#include "regbuf.h"

struct conf conf = { .dev = { .fd = -1 }, .dev2 = { .fd = -1 }, .dev4k = { .fd = -1 } };

static void conf_vline(const char *word, const char *fmt, va_list ap)
{
	printf("%s ", word);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

void conf_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vline("PASS", fmt, ap);
	va_end(ap);
	exit(CONF_PASS);
}

void conf_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vline("FAIL", fmt, ap);
	va_end(ap);
	exit(CONF_FAIL);
}

void conf_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vline("SKIP", fmt, ap);
	va_end(ap);
	exit(CONF_SKIP);
}

void conf_known(const char *defect, const char *fmt, ...)
{
	va_list ap;

	printf("KNOWN-DEFECT %s: ", defect);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(CONF_KNOWN);
}

void conf_observe(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("OBSERVE %s=", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void conf_may_hang(const char *defect, const char *fmt, ...)
{
	va_list ap;

	printf("MAY-HANG %s: ", defect);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void conf_expect(int got, int want, const char *what)
{
	if (got == want)
		conf_pass("%s: %s, as documented", what, conf_res(got));
	conf_fail("%s: %s, expected %s", what, conf_res(got), conf_res(want));
}

void conf_expect_either(int got, int want_v3, int want_later, const char *later,
			const char *what)
{
	if (got == want_v3)
		conf_pass("%s: %s (v3 behaviour; %s gives %s)", what, conf_res(got),
			  later, conf_res(want_later));
	if (got == want_later)
		conf_pass("%s: %s (%s behaviour; v3 gives %s)", what, conf_res(got),
			  later, conf_res(want_v3));
	conf_fail("%s: %s, expected %s (v3) or %s (%s)", what, conf_res(got),
		  conf_res(want_v3), conf_res(want_later), later);
}

void conf_setup(struct conf_ctx *c, const char *exporter, size_t size,
		unsigned int entries, unsigned int flags, unsigned int slots)
{
	conf_init();
	conf_need_series();
	conf_dmabuf(&c->x, exporter, size);
	conf_ring(&c->ring, entries, flags);
	conf_table(&c->ring, slots);
}

const char *conf_res(int res)
{
	static char buf[4][48];
	static unsigned int n;
	char *b = buf[n++ % 4];
	const char *name = res < 0 ? strerrorname_np(-res) : NULL;

	if (res >= 0)
		snprintf(b, sizeof(buf[0]), "%d", res);
	else if (name)
		snprintf(b, sizeof(buf[0]), "-%s", name);
	else
		snprintf(b, sizeof(buf[0]), "-%d", -res);
	return b;
}

/* sysfs queue attribute of the whole disk or partition behind fd */
static long long sysfs_queue(int fd, const char *attr)
{
	char path[320];
	struct stat st;
	long long v = -1;
	FILE *f;

	if (fstat(fd, &st) || !S_ISBLK(st.st_mode))
		return -1;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s",
		 major(st.st_rdev), minor(st.st_rdev), attr);
	f = fopen(path, "r");
	if (!f) {
		char real[256];

		/* a partition: the queue is its disk's */
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/..",
			 major(st.st_rdev), minor(st.st_rdev));
		if (!realpath(path, real))
			return -1;
		snprintf(path, sizeof(path), "%.200s/queue/%s", real, attr);
		f = fopen(path, "r");
		if (!f)
			return -1;
	}
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void open_dev(struct conf_dev *d, const char *path)
{
	unsigned long long size;

	d->path = path;
	d->fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (d->fd < 0)
		conf_skip("cannot open %s O_RDWR|O_DIRECT: %s", path, strerror(errno));
	if (ioctl(d->fd, BLKGETSIZE64, &size))
		conf_skip("%s is not a block device (BLKGETSIZE64: %s)", path, strerror(errno));
	d->size = size;
	d->lba = sysfs_queue(d->fd, "logical_block_size");
	if ((int)d->lba <= 0)
		conf_skip("%s: no queue/logical_block_size in sysfs", path);
}

void conf_init(void)
{
	const char *dev = getenv("CONF_DEV"), *dev2 = getenv("CONF_DEV2");
	const char *dev4k = getenv("CONF_DEV4K");
	struct io_uring ring;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	conf.page = sysconf(_SC_PAGESIZE);
	if (!dev || !*dev)
		conf_skip("CONF_DEV is not set: scripts/conformance sets it to the namespace under test");
	open_dev(&conf.dev, dev);
	if (dev2 && *dev2)
		open_dev(&conf.dev2, dev2);
	if (dev4k && *dev4k)
		open_dev(&conf.dev4k, dev4k);
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		conf_fail("io_uring_queue_init: %s", conf_res(ret));
	ret = io_uring_register_buffers_sparse(&ring, 1);
	if (ret)
		conf_fail("a sparse buffer table of one slot: %s", conf_res(ret));
	ret = regbuf_probe(&ring, 0);
	if (ret < 0)
		conf_fail("an EMPTY extended update returned %s: neither 1 (the series) nor -EINVAL (no series)",
			  conf_res(ret));
	conf.series = ret == 1;
	io_uring_queue_exit(&ring);
}

void conf_need_series(void)
{
	if (!conf.series)
		conf_skip("this kernel has no io_uring dma-buf series (an EMPTY extended buffer update gives -EINVAL)");
}

void conf_need_dev2(void)
{
	if (conf.dev2.fd < 0)
		conf_skip("needs a second namespace (CONF_DEV2)");
}

void conf_need_dev4k(void)
{
	if (conf.dev4k.fd < 0)
		conf_skip("needs a 4096-byte-LBA namespace (CONF_DEV4K)");
	if (conf.dev4k.lba != 4096)
		conf_skip("CONF_DEV4K (%s) has %u-byte logical blocks, not 4096",
			  conf.dev4k.path, conf.dev4k.lba);
}

void conf_ring(struct io_uring *ring, unsigned int entries, unsigned int flags)
{
	int ret = io_uring_queue_init(entries, ring, flags);

	if (ret == -EINVAL && flags)
		conf_skip("io_uring_queue_init with setup flags 0x%x: -EINVAL (not in this kernel)", flags);
	if (ret)
		conf_fail("io_uring_queue_init(%u, 0x%x): %s", entries, flags, conf_res(ret));
}

void conf_table(struct io_uring *ring, unsigned int nr)
{
	int ret = io_uring_register_buffers_sparse(ring, nr);

	if (ret)
		conf_fail("a sparse buffer table of %u slots: %s", nr, conf_res(ret));
}

int conf_update(int ring_fd, unsigned int opcode, unsigned int off,
		unsigned int flags, const void *data, unsigned int nr)
{
	return regbuf_update(ring_fd, opcode, off, flags, data, nr);
}

int conf_update_desc(struct io_uring *ring, unsigned int off,
		     const struct io_uring_regbuf_desc *desc)
{
	return conf_update(ring->ring_fd, IORING_REGISTER_BUFFERS_UPDATE, off,
			   IORING_RSRC_UPDATE_EXTENDED, desc, 1);
}

struct io_uring_regbuf_desc conf_desc(int dmabuf_fd, int target_fd)
{
	struct io_uring_regbuf_desc d;

	memset(&d, 0, sizeof(d));
	d.type = IO_REGBUF_TYPE_DMABUF;
	d.dmabuf_fd = dmabuf_fd;
	d.target_fd = target_fd;
	return d;
}

void conf_register(struct io_uring *ring, unsigned int off, int dmabuf_fd, int target_fd)
{
	struct io_uring_regbuf_desc d = conf_desc(dmabuf_fd, target_fd);
	int ret = conf_update_desc(ring, off, &d);

	if (ret != 1)
		conf_fail("registering a dma-buf in slot %u: %s (1 expected)", off, conf_res(ret));
}

int conf_unregister_slot(struct io_uring *ring, unsigned int off)
{
	struct io_uring_regbuf_desc d;

	memset(&d, 0, sizeof(d));
	d.type = IO_REGBUF_TYPE_EMPTY;
	return conf_update_desc(ring, off, &d);
}

void conf_dmabuf(struct dmabuf_export *x, const char *name, size_t size)
{
	static const struct exporter *const exps[] = { &exp_udmabuf, &exp_heap, &exp_drm };
	const struct exporter *e = NULL;
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(exps) / sizeof(exps[0]); i++)
		if (!strcmp(exps[i]->name, name))
			e = exps[i];
	if (!e)
		conf_fail("conf_dmabuf: no exporter '%s'", name);
	memset(x, 0, sizeof(*x));
	ret = export_alloc(x, e, NULL, size, conf.page, size, false);
	if (ret) {
		if (ret == -ENOENT || ret == -ENODEV || ret == -EOPNOTSUPP)
			conf_skip("%s: %s", name, x->err);
		conf_fail("a %zu-byte %s dma-buf: %s", size, name, x->err);
	}
	if (x->nr_chunks != 1)
		conf_fail("a %zu-byte %s dma-buf came as %u chunks", size, name, x->nr_chunks);
	if (!x->cpu && export_map_chunks(x))
		conf_fail("mapping the %s dma-buf: %s", name, x->err);
}

void conf_prep_rw(struct io_uring_sqe *sqe, int op, int fd, unsigned int slot,
		  uint64_t buf_off, unsigned int len, uint64_t dev_off)
{
	/* addr is the byte offset into the dma-buf, not a user address */
	io_uring_prep_rw(op, sqe, fd, (void *)(uintptr_t)buf_off, len, dev_off);
	sqe->buf_index = slot;
}

int conf_rw(struct io_uring *ring, int op, int fd, unsigned int slot,
	    uint64_t buf_off, unsigned int len, uint64_t dev_off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		conf_fail("no free SQE");
	conf_prep_rw(sqe, op, fd, slot, buf_off, len, dev_off);
	ret = io_uring_submit(ring);
	if (ret != 1)
		conf_fail("io_uring_submit: %s", conf_res(ret));
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		conf_fail("io_uring_wait_cqe: %s", conf_res(ret));
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

void conf_pread(const struct conf_dev *d, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(d->fd, buf, len, off);

	if (n != (ssize_t)len)
		conf_fail("the reference read (pread O_DIRECT, %zu bytes at %llu of %s): %s",
			  len, (unsigned long long)off, d->path,
			  n < 0 ? strerror(errno) : "short");
}

void conf_pwrite(const struct conf_dev *d, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(d->fd, buf, len, off);

	if (n != (ssize_t)len)
		conf_fail("the reference write (pwrite O_DIRECT, %zu bytes at %llu of %s): %s",
			  len, (unsigned long long)off, d->path,
			  n < 0 ? strerror(errno) : "short");
}

void *conf_alloc(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, conf.page, len ? len : 1))
		conf_fail("posix_memalign(%zu): out of memory", len);
	return p;
}

void conf_fill(void *buf, size_t len, uint32_t seed)
{
	uint32_t *w = buf;
	size_t i;

	/* each 32-bit word: its own index mixed with the seed (xorshift) */
	for (i = 0; i < len / 4; i++) {
		uint32_t v = (uint32_t)i * 2654435761u ^ seed;

		v ^= v << 13;
		v ^= v >> 17;
		v ^= v << 5;
		w[i] = v;
	}
	memset((char *)buf + len / 4 * 4, (int)(seed & 0xff), len % 4);
}

long conf_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *p = a, *q = b;
	size_t i;

	if (!memcmp(a, b, len))
		return -1;
	for (i = 0; i < len && p[i] == q[i]; i++)
		;
	return (long)i;
}

void conf_cpu_begin(const struct dmabuf_export *x)
{
	if (export_sync(x, 0, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW))
		conf_fail("DMA_BUF_IOCTL_SYNC START: %s", strerror(errno));
}

void conf_cpu_end(const struct dmabuf_export *x)
{
	if (export_sync(x, 0, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW))
		conf_fail("DMA_BUF_IOCTL_SYNC END: %s", strerror(errno));
}

long conf_dmabuf_count(uint64_t *bytes)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	unsigned long long total = 0;
	char line[512];
	long n = -1;

	if (!f)
		return -1;
	/* the last line: "Total N objects, B bytes" */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Total %ld objects, %llu bytes", &n, &total) == 2 && bytes)
			*bytes = total;
	fclose(f);
	return n;
}

uint64_t conf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- helpers of the life-, fault-, sec- and conc- cases ---- */

#include <pthread.h>

unsigned int conf_max_io(const struct conf_dev *d)
{
	long long kb = sysfs_queue(d->fd, "max_sectors_kb");

	/* without the attribute: 128 KiB, below any nvme-pci limit */
	return kb > 0 ? (unsigned int)kb << 10 : 128u << 10;
}

unsigned long conf_dmabuf_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

int conf_dmabuf_find(unsigned long ino, long *count, int *attached)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[512], exp[64];
	unsigned long long size, i;
	unsigned int flags, mode;
	int found = 0, n;
	long cnt;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* "size flags mode count exp_name ino name", then the devices */
		if (!found && sscanf(line, "%llu %x %x %ld %63s %llu", &size, &flags, &mode,
				     &cnt, exp, &i) == 6 && i == ino) {
			found = 1;
			if (count)
				*count = cnt;
			continue;
		}
		if (found && sscanf(line, "Total %d devices attached", &n) == 1) {
			if (attached)
				*attached = n;
			break;
		}
	}
	fclose(f);
	return found;
}

int conf_dmabuf_wait(unsigned long ino, int want, int timeout_ms)
{
	uint64_t end = conf_now_ns() + (uint64_t)timeout_ms * 1000000;

	for (;;) {
		int r = conf_dmabuf_find(ino, NULL, NULL);
		if (r == want || r < 0 || conf_now_ns() > end)
			return r;
		usleep(20000);
	}
}

long conf_dmabuf_count_wait(long want, int timeout_ms)
{
	uint64_t end = conf_now_ns() + (uint64_t)timeout_ms * 1000000;

	for (;;) {
		long n = conf_dmabuf_count(NULL);
		if (n == want || n < 0 || conf_now_ns() > end)
			return n;
		usleep(20000);
	}
}

void conf_batch_submit(struct io_uring *ring, struct conf_batch *b, int op, int fd,
		       unsigned int slot, unsigned int n, uint64_t buf_off, uint64_t dev_off)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			conf_fail("no free SQE for I/O %u of %u: the ring is too small", i, n);
		conf_prep_rw(sqe, op, fd, slot, buf_off + (uint64_t)i * b->len, b->len,
			     dev_off + (uint64_t)i * b->len);
		sqe->user_data = i;
	}
	ret = io_uring_submit(ring);
	if (ret != (int)n)
		conf_fail("io_uring_submit of %u I/Os: %s", n, conf_res(ret));
	b->submitted += n;
}

unsigned int conf_batch_in_flight(struct io_uring *ring, const struct conf_batch *b)
{
	unsigned int done = b->reaped + io_uring_cq_ready(ring);

	return b->submitted > done ? b->submitted - done : 0;
}

static void batch_note(struct conf_batch *b, uint64_t user_data, int res)
{
	unsigned int i;

	if (b->res && user_data < b->submitted)
		b->res[user_data] = res;
	b->reaped++;
	if (res == (int)b->len) {
		b->ok++;
		return;
	}
	if (res >= 0) {
		b->shorts++;
		return;
	}
	b->failed++;
	for (i = 0; i < b->nr_errs; i++)
		if (b->errs[i] == res)
			return;
	if (b->nr_errs < sizeof(b->errs) / sizeof(b->errs[0]))
		b->errs[b->nr_errs++] = res;
}

int conf_batch_reap(struct io_uring *ring, struct conf_batch *b, int timeout_ms)
{
	uint64_t end = conf_now_ns() + (uint64_t)timeout_ms * 1000000;

	while (b->reaped < b->submitted) {
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 50000000 };
		struct io_uring_cqe *cqe;
		int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

		if (!ret) {
			batch_note(b, cqe->user_data, cqe->res);
			io_uring_cqe_seen(ring, cqe);
			continue;
		}
		if (ret != -ETIME && ret != -EINTR && ret != -EAGAIN)
			conf_fail("io_uring_wait_cqe_timeout: %s", conf_res(ret));
		if (conf_now_ns() > end)
			return -ETIME;
	}
	return 0;
}

const char *conf_batch_errs(const struct conf_batch *b)
{
	static char buf[256];
	unsigned int i;
	size_t n = 0;

	if (!b->nr_errs)
		return "none";
	buf[0] = 0;
	for (i = 0; i < b->nr_errs && n < sizeof(buf) - 1; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "",
			      conf_res(b->errs[i]));
	return buf;
}

struct timed_call {
	long (*fn)(void *);
	void *arg;
	long ret;
	int done;	/* atomic */
};

static void *timed_call_thread(void *p)
{
	struct timed_call *t = p;

	t->ret = t->fn(t->arg);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

bool conf_timed_call(long (*fn)(void *), void *arg, int timeout_ms, long *ret)
{
	uint64_t end = conf_now_ns() + (uint64_t)timeout_ms * 1000000;
	struct timed_call *t = calloc(1, sizeof(*t));
	pthread_t th;

	if (!t)
		conf_fail("conf_timed_call: out of memory");
	t->fn = fn;
	t->arg = arg;
	if (pthread_create(&th, NULL, timed_call_thread, t))
		conf_fail("pthread_create: %s", strerror(errno));
	while (!__atomic_load_n(&t->done, __ATOMIC_ACQUIRE)) {
		if (conf_now_ns() > end) {
			/* t stays with the thread that may still write it */
			pthread_detach(th);
			return false;
		}
		usleep(5000);
	}
	pthread_join(th, NULL);
	if (ret)
		*ret = t->ret;
	free(t);
	return true;
}

int conf_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t len = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int conf_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int conf_xfer(struct io_uring *ring, int op, int fd, unsigned int slot, uint64_t buf_off,
	      uint64_t dev_off, size_t len, unsigned int bs, unsigned int qd,
	      unsigned int *eagain)
{
	unsigned int nr = (unsigned int)(len / bs), next = 0, inflight = 0, retries = 0;
	int err = 0;

	while (next < nr || inflight) {
		struct io_uring_cqe *cqe;
		int ret;

		while (!err && next < nr && inflight < qd) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				break;
			conf_prep_rw(sqe, op, fd, slot, buf_off + (uint64_t)next * bs, bs,
				     dev_off + (uint64_t)next * bs);
			sqe->user_data = next++;
			inflight++;
		}
		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			conf_fail("io_uring_submit_and_wait: %s", conf_res(ret));
		while (!io_uring_peek_cqe(ring, &cqe)) {
			unsigned int i = (unsigned int)cqe->user_data;
			int res = cqe->res;

			io_uring_cqe_seen(ring, cqe);
			if (res == -EAGAIN && retries < 1000) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

				if (!sqe)
					conf_fail("no free SQE to reissue an -EAGAIN");
				retries++;
				conf_prep_rw(sqe, op, fd, slot, buf_off + (uint64_t)i * bs, bs,
					     dev_off + (uint64_t)i * bs);
				sqe->user_data = i;
				continue;
			}
			inflight--;
			if (res != (int)bs && !err)
				err = res < 0 ? res : -EIO;
		}
		if (err && !inflight)
			break;
	}
	if (eagain)
		*eagain += retries;
	return err;
}

/* --- data helpers of the io- and data- cases --- */

#define CONF_POISON	0xa5
#define CONF_GUARD	4096u
#define CONF_EAGAIN_MAX	1000u

unsigned long conf_eagains;

int conf_rw_retry(struct io_uring *ring, int op, int fd, unsigned int slot,
		  uint64_t buf_off, unsigned int len, uint64_t dev_off)
{
	unsigned int tries = 0;

	for (;;) {
		int ret = conf_rw(ring, op, fd, slot, buf_off, len, dev_off);

		if (ret != -EAGAIN || tries++ == CONF_EAGAIN_MAX)
			return ret;
		conf_eagains++;
	}
}

void conf_dev_pattern(const struct conf_dev *d, uint64_t off, size_t len, uint32_t seed)
{
	void *buf = conf_alloc(len);

	conf_fill(buf, len, seed);
	conf_pwrite(d, buf, len, off);
	free(buf);
}

void conf_check_read(struct io_uring *ring, const struct conf_dev *d, int fd,
		     unsigned int slot, const struct dmabuf_export *x,
		     uint64_t buf_off, unsigned int len, uint64_t dev_off)
{
	uint64_t lo = buf_off > CONF_GUARD ? buf_off - CONF_GUARD : 0;
	uint64_t hi = buf_off + len + CONF_GUARD;
	unsigned char *cpu = x->cpu, *ref;
	uint64_t i;
	long at;
	int ret;

	if (hi > x->size)
		hi = x->size;
	conf_cpu_begin(x);
	memset(cpu + lo, CONF_POISON, hi - lo);
	conf_cpu_end(x);
	ret = conf_rw_retry(ring, IORING_OP_READ_FIXED, fd, slot, buf_off, len, dev_off);
	if (ret != (int)len)
		conf_fail("READ_FIXED of %u bytes at %llu of %s into offset %llu of slot %u: %s",
			  len, (unsigned long long)dev_off, d->path,
			  (unsigned long long)buf_off, slot, conf_res(ret));
	ref = conf_alloc(len);
	conf_pread(d, ref, len, dev_off);
	conf_cpu_begin(x);
	at = conf_diff(cpu + buf_off, ref, len);
	if (at >= 0)
		conf_fail("READ_FIXED of %u bytes at %llu of %s into offset %llu of slot %u: byte %ld is 0x%02x, the device has 0x%02x",
			  len, (unsigned long long)dev_off, d->path,
			  (unsigned long long)buf_off, slot, at, cpu[buf_off + at], ref[at]);
	for (i = lo; i < hi; i++) {
		if (i == buf_off)
			i += len;
		if (i < hi && cpu[i] != CONF_POISON)
			conf_fail("READ_FIXED of %u bytes at %llu of %s into offset %llu of slot %u wrote outside its range: dma-buf byte %llu is 0x%02x",
				  len, (unsigned long long)dev_off, d->path,
				  (unsigned long long)buf_off, slot, (unsigned long long)i,
				  cpu[i]);
	}
	conf_cpu_end(x);
	free(ref);
}

void conf_check_write(struct io_uring *ring, const struct conf_dev *d, int fd,
		      unsigned int slot, const struct dmabuf_export *x,
		      uint64_t buf_off, unsigned int len, uint64_t dev_off,
		      uint32_t seed)
{
	uint64_t lo = dev_off >= d->lba ? dev_off - d->lba : dev_off;
	uint64_t hi = dev_off + len + d->lba <= d->size ? dev_off + len + d->lba : dev_off + len;
	unsigned char *want = conf_alloc(len), *pre = conf_alloc(hi - lo);
	unsigned char *post = conf_alloc(hi - lo);
	long at;
	int ret;

	conf_fill(want, len, seed);
	conf_pread(d, pre, hi - lo, lo);
	conf_cpu_begin(x);
	memcpy((char *)x->cpu + buf_off, want, len);
	conf_cpu_end(x);
	ret = conf_rw_retry(ring, IORING_OP_WRITE_FIXED, fd, slot, buf_off, len, dev_off);
	if (ret != (int)len)
		conf_fail("WRITE_FIXED of %u bytes from offset %llu of slot %u to %llu of %s: %s",
			  len, (unsigned long long)buf_off, slot,
			  (unsigned long long)dev_off, d->path, conf_res(ret));
	conf_pread(d, post, hi - lo, lo);
	at = conf_diff(post + (dev_off - lo), want, len);
	if (at >= 0)
		conf_fail("WRITE_FIXED of %u bytes from offset %llu of slot %u to %llu of %s: device byte %llu reads back 0x%02x, 0x%02x was written",
			  len, (unsigned long long)buf_off, slot,
			  (unsigned long long)dev_off, d->path,
			  (unsigned long long)(dev_off + at), post[dev_off - lo + at], want[at]);
	if (memcmp(pre, post, dev_off - lo) ||
	    memcmp(pre + (dev_off - lo) + len, post + (dev_off - lo) + len,
		   hi - dev_off - len))
		conf_fail("WRITE_FIXED of %u bytes from offset %llu of slot %u to %llu of %s changed a logical block next to its range",
			  len, (unsigned long long)buf_off, slot,
			  (unsigned long long)dev_off, d->path);
	free(want);
	free(pre);
	free(post);
}

unsigned int conf_grid(struct io_uring *ring, const struct conf_dev *d,
		       unsigned int slot, const struct dmabuf_export *x,
		       const uint64_t *dev_offs, unsigned int nr_dev,
		       const uint64_t *buf_offs, unsigned int nr_buf,
		       const unsigned int *lens, unsigned int nr_len)
{
	unsigned int i, j, k, done = 0;

	for (i = 0; i < nr_dev; i++)
		for (j = 0; j < nr_buf; j++)
			for (k = 0; k < nr_len; k++) {
				if (buf_offs[j] + lens[k] > x->size ||
				    dev_offs[i] + lens[k] > d->size)
					continue;
				conf_check_read(ring, d, d->fd, slot, x, buf_offs[j],
						lens[k], dev_offs[i]);
				conf_check_write(ring, d, d->fd, slot, x, buf_offs[j],
						 lens[k], dev_offs[i],
						 0x9e3779b9u * (done + 1));
				done += 2;
			}
	return done;
}

static void batch_prep(struct io_uring *ring, int fd, unsigned int slot, unsigned int i,
		       unsigned int len, uint64_t buf_off, uint64_t dev_off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		conf_fail("no free SQE for I/O %u: the ring is too small", i);
	conf_prep_rw(sqe, IORING_OP_READ_FIXED, fd, slot, buf_off + (uint64_t)i * len, len,
		     dev_off + (uint64_t)i * len);
	sqe->user_data = i;
}

unsigned int conf_check_batch_read(struct io_uring *ring, const struct conf_dev *d,
				   unsigned int slot, const struct dmabuf_export *x,
				   unsigned int n, unsigned int len, uint64_t buf_off,
				   uint64_t dev_off)
{
	uint64_t end = conf_now_ns() + 120ull * 1000000000ull;
	size_t total = (size_t)n * len;
	unsigned int i, done = 0, in_flight;
	unsigned char *ref;
	long at;
	int ret;

	conf_cpu_begin(x);
	memset((char *)x->cpu + buf_off, CONF_POISON, total);
	conf_cpu_end(x);
	for (i = 0; i < n; i++)
		batch_prep(ring, d->fd, slot, i, len, buf_off, dev_off);
	ret = io_uring_submit(ring);
	if (ret != (int)n)
		conf_fail("io_uring_submit of %u reads: %s", n, conf_res(ret));
	in_flight = n - io_uring_cq_ready(ring);
	while (done < n) {
		struct __kernel_timespec ts = { .tv_sec = 1 };
		struct io_uring_cqe *cqe;
		unsigned int id;
		int res;

		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
		if (ret == -ETIME || ret == -EINTR) {
			if (conf_now_ns() > end)
				conf_fail("%u of %u reads of %u bytes not completed after 120 s",
					  n - done, n, len);
			continue;
		}
		if (ret)
			conf_fail("io_uring_wait_cqe_timeout: %s", conf_res(ret));
		id = (unsigned int)cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (res == -EAGAIN && conf_eagains < 100000) {
			conf_eagains++;
			batch_prep(ring, d->fd, slot, id, len, buf_off, dev_off);
			ret = io_uring_submit(ring);
			if (ret != 1)
				conf_fail("io_uring_submit (reissue of read %u): %s", id, conf_res(ret));
			continue;
		}
		if (res != (int)len)
			conf_fail("read %u of %u (%u bytes at %llu of %s into offset %llu of slot %u): %s",
				  id, n, len, (unsigned long long)(dev_off + (uint64_t)id * len),
				  d->path, (unsigned long long)(buf_off + (uint64_t)id * len), slot,
				  conf_res(res));
		done++;
	}
	ref = conf_alloc(total);
	conf_pread(d, ref, total, dev_off);
	conf_cpu_begin(x);
	at = conf_diff((char *)x->cpu + buf_off, ref, total);
	conf_cpu_end(x);
	if (at >= 0)
		conf_fail("%u reads of %u bytes submitted together: byte %ld (read %ld) differs from the device",
			  n, len, at, at / (long)len);
	free(ref);
	return in_flight;
}

void *conf_conc_run(void *arg)
{
	struct conf_conc_job *j = arg;
	struct io_uring *ring = j->ring;
	unsigned int r;

	if (!ring) {
		ring = &j->own;
		conf_ring(ring, 2 * j->qd, j->flags);
		conf_table(ring, j->slot + 1);
	}
	conf_register(ring, j->slot, j->dmabuf_fd, j->fd);
	for (r = 0; r < j->rounds && !j->err; r++) {
		uint64_t dev = j->dev_off + (uint64_t)r * j->len;

		j->err = conf_xfer(ring, IORING_OP_WRITE_FIXED, j->fd, j->slot, j->buf_w, dev,
				   j->len, j->bs, j->qd, &j->eagain);
		if (j->err) {
			snprintf(j->where, sizeof(j->where), "WRITE_FIXED round %u", r);
			break;
		}
		j->err = conf_xfer(ring, IORING_OP_READ_FIXED, j->fd, j->slot, j->buf_r, dev,
				   j->len, j->bs, j->qd, &j->eagain);
		if (j->err)
			snprintf(j->where, sizeof(j->where), "READ_FIXED round %u", r);
	}
	if (ring == &j->own)
		io_uring_queue_exit(ring);
	return NULL;
}

void conf_conc_check(const struct conf_conc_job *jobs, unsigned int n, const void *cpu,
		     const struct conf_dev *d)
{
	unsigned int i, r;

	for (i = 0; i < n; i++) {
		const struct conf_conc_job *j = &jobs[i];
		const char *w = (const char *)cpu + j->buf_w;
		long at;
		char *got;

		if (j->err)
			conf_fail("job %u: %s: %s", i, j->where, conf_res(j->err));
		at = conf_diff(w, (const char *)cpu + j->buf_r, j->len);
		if (at >= 0)
			conf_fail("job %u: READ_FIXED brought other bytes into its buffer, from offset %ld",
				  i, at);
		got = conf_alloc(j->len);
		for (r = 0; r < j->rounds; r++) {
			conf_pread(d, got, j->len, j->dev_off + (uint64_t)r * j->len);
			at = conf_diff(w, got, j->len);
			if (at >= 0)
				conf_fail("job %u round %u: the device holds other bytes than WRITE_FIXED sent, from offset %ld",
					  i, r, at);
		}
		free(got);
	}
}

static void drop_page_cache(const struct conf_dev *d)
{
	if (d->fd >= 0 && ioctl(d->fd, BLKFLSBUF, 0))
		conf_observe("blkflsbuf", "%s: %s", d->path, strerror(errno));
}

void conf_no_page_cache(void)
{
	int ret = system("udevadm settle --timeout=10 >/dev/null 2>&1");

	(void)ret;	/* no udev, or it did not settle: flush anyway */
	drop_page_cache(&conf.dev);
	drop_page_cache(&conf.dev2);
	drop_page_cache(&conf.dev4k);
}
