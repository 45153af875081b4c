// SPDX-License-Identifier: GPL-2.0
/*
 * fault-shim: an LD_PRELOAD library for tests/engine/faults and
 * tests/engine/sync-protocol. The engine links liburing as a shared
 * library and calls io_uring_submit*() through the PLT, so wrapping those
 * calls intercepts every kernel entry that submits; the CQ ring is plain
 * memory the shim may rewrite before the engine reaps it. libc's open()
 * and ioctl() are wrapped the same way.
 *
 * FIO_FAULT, comma-separated:
 *   busy=N       a submitting entry returns -EBUSY, without entering, while
 *                N or more completions wait unreaped (the CQ is "full")
 *   overlong=K   the K-th completion with res > 0 reports 4096 bytes more
 *   eagain=K     every K-th completion with res > 0 says -EAGAIN instead
 *   eagain_max=M ... at most M times
 *   fakeudmabuf  /dev/udmabuf is faked: UDMABUF_CREATE returns a dup of the
 *                memfd, DMA_BUF_IOCTL_SYNC on it succeeds (and is traced)
 *
 * FIO_FAULT_LOG=FILE: lines appended, one write each (several processes):
 *   sync PID FD CHUNK START|END INFLIGHT  every DMA_BUF_IOCTL_SYNC on a
 *                       udmabuf, with the I/Os in flight on that chunk as
 *                       the rings say (submitted, no completion posted)
 *   cpu-owned PID CHUNK  an I/O went to the kernel on a chunk whose last
 *                       sync was START (the CPU's)
 *   late-reissue PID     a reissued sqe went out behind a fresh sqe that
 *                       fio queued after the reissue was prepared
 *   busy PID, overlong PID, eagain PID  a fault injected (busy: the first 100)
 *   spin PID             a million -EBUSY without a reap: the process ends
 *   reissued PID         an sqe for an I/O whose completion said -EAGAIN
 *                       went to the kernel
 *   stats PID busy=N overlong=N eagain=N reissued=N  (at exit, where the
 *                       process runs its destructors)
 *
 * This is a test tool: one ring per process is tracked (fio forks a
 * process per job; --thread jobs share one and are not supported).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <liburing.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>

#define MAX_FD		65536
#define MAX_CHUNKS	32768
#define MAX_TRACK	65536	/* in-flight I/Os tracked, by user_data hash */

static int busy_at, overlong_at, eagain_every, eagain_max = -1, fake;
static int log_fd = -1, fake_dev = -1;
static unsigned long n_busy, n_overlong, n_eagain, n_reissued, n_pos;

/* chunks: by creation order; fd -> chunk + 1 */
static int chunk_of_fd[MAX_FD];
static int nr_chunks;
static size_t chunk_size;
static char chunk_state[MAX_CHUNKS];	/* 0 none, 'S' START last, 'E' END last */
static int inflight[MAX_CHUNKS];

/* classic registered buffers: slot 0's base, to map addr -> chunk */
static unsigned long reg_base;
static int reg_known;

static struct io_uring *ring_seen;
static unsigned int cq_scanned;
static int cq_scanned_set;

struct track {
	unsigned long long ud;	/* 0: free */
	int chunk;		/* -1: none */
	char eagain;		/* its last completion said -EAGAIN */
};
static struct track tracks[MAX_TRACK];

static void shim_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (log_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(log_fd, buf, n) < 0)
		return;
}

static struct track *track_get(unsigned long long ud, int create)
{
	unsigned int h = (unsigned int)((ud >> 4) * 2654435761u) % MAX_TRACK, i;

	for (i = 0; i < MAX_TRACK; i++) {
		struct track *t = &tracks[(h + i) % MAX_TRACK];

		if (t->ud == ud)
			return t;
		if (!t->ud) {
			if (!create)
				return NULL;
			t->ud = ud;
			t->chunk = -1;
			return t;
		}
	}
	return NULL;
}

static void __attribute__((constructor)) shim_init(void)
{
	const char *f = getenv("FIO_FAULT"), *l = getenv("FIO_FAULT_LOG");

	if (l)
		log_fd = open(l, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (!f)
		return;
	if (strstr(f, "busy="))
		busy_at = atoi(strstr(f, "busy=") + 5);
	if (strstr(f, "overlong="))
		overlong_at = atoi(strstr(f, "overlong=") + 9);
	if (strstr(f, "eagain="))
		eagain_every = atoi(strstr(f, "eagain=") + 7);
	if (strstr(f, "eagain_max="))
		eagain_max = atoi(strstr(f, "eagain_max=") + 11);
	fake = strstr(f, "fakeudmabuf") != NULL;
}

static void __attribute__((destructor)) shim_exit(void)
{
	if (ring_seen || nr_chunks)
		shim_log("stats %d busy=%lu overlong=%lu eagain=%lu reissued=%lu\n", getpid(),
		     n_busy, n_overlong, n_eagain, n_reissued);
}

static int sqe_chunk(const struct io_uring_sqe *sqe)
{
	if (!nr_chunks || (sqe->opcode != IORING_OP_READ_FIXED &&
			   sqe->opcode != IORING_OP_WRITE_FIXED))
		return -1;
	if (reg_known) {
		/* mapped, bounce: the slots lie over the area's layout */
		if (sqe->addr < reg_base)
			return -1;
		return (int)((sqe->addr - reg_base) / chunk_size);
	}
	/* direct: slot = file * nr_chunks + chunk */
	return sqe->buf_index % nr_chunks;
}

/* Completions the kernel posted since the last look: no longer in flight. */
static void scan_cq(struct io_uring *ring, int rewrite)
{
	unsigned int tail = io_uring_smp_load_acquire(ring->cq.ktail);
	unsigned int head = *ring->cq.khead, i;

	if (!cq_scanned_set || (int)(cq_scanned - head) < 0) {
		cq_scanned = head;
		cq_scanned_set = 1;
	}
	for (i = cq_scanned; i != tail; i++) {
		struct io_uring_cqe *cqe = &ring->cq.cqes[i & ring->cq.ring_mask];
		struct track *t;

		if (rewrite && cqe->user_data && cqe->res > 0) {
			n_pos++;
			if (overlong_at && n_pos == (unsigned long)overlong_at) {
				cqe->res += 4096;
				n_overlong++;
				shim_log("overlong %d\n", getpid());
			} else if (eagain_every && !(n_pos % eagain_every) &&
				   (eagain_max < 0 || n_eagain < (unsigned long)eagain_max)) {
				cqe->res = -EAGAIN;
				n_eagain++;
				shim_log("eagain %d\n", getpid());
			}
		}
		t = cqe->user_data ? track_get(cqe->user_data, 0) : NULL;
		if (t) {
			if (t->chunk >= 0 && inflight[t->chunk] > 0)
				inflight[t->chunk]--;
			t->chunk = -1;
			t->eagain = cqe->res == -EAGAIN;
		}
	}
	cq_scanned = tail;
}

/* Before an enter: what it will submit. After: what the kernel took. */
static void scan_sq(struct io_uring *ring, unsigned int from, unsigned int to)
{
	int reissue_seen = 0;
	unsigned int i;

	for (i = from; i != to; i++) {
		const struct io_uring_sqe *sqe = &ring->sq.sqes[i & ring->sq.ring_mask];
		struct track *t;
		int c;

		if (!sqe->user_data)
			continue;
		t = track_get(sqe->user_data, 1);
		if (!t)
			continue;
		if (t->eagain) {
			t->eagain = 0;
			n_reissued++;
			shim_log("reissued %d\n", getpid());
			reissue_seen = 1;
		} else {
			/* fresh sqes queued before the reissue are not its delay */
			if (reissue_seen) {
				shim_log("late-reissue %d\n", getpid());
				reissue_seen = 0;
			}
		}
		c = sqe_chunk(sqe);
		t->chunk = c;
		if (c >= 0 && c < MAX_CHUNKS) {
			inflight[c]++;
			if (chunk_state[c] == 'S')
				shim_log("cpu-owned %d %d\n", getpid(), c);
		}
	}
}

/*
 * The CQ counts as full while busy_at completions wait. An engine that
 * retries without reaping would spin here for ever: after a million -EBUSY
 * answers with the CQ head standing still, the shim says so and ends the
 * process (a fio job process does not die of timeout's signals then).
 */
static int cq_full(struct io_uring *ring)
{
	static unsigned long still;
	static unsigned int last_head;

	if (!busy_at || !io_uring_sq_ready(ring) ||
	    io_uring_cq_ready(ring) < (unsigned)busy_at)
		return 0;
	if (*ring->cq.khead != last_head) {
		last_head = *ring->cq.khead;
		still = 0;
	} else if (++still > 1000000) {
		shim_log("spin %d\n", getpid());
		fprintf(stderr, "fault-shim: a million -EBUSY and no completion reaped: the engine spins\n");
		_exit(86);
	}
	return 1;
}

/*
 * fio dlopen()s the engine, which brings liburing in with local scope:
 * RTLD_NEXT does not see it, its own handle does.
 */
static void *uring_sym(const char *name)
{
	static void *h;
	void *p;

	if (!h)
		h = dlopen("liburing.so.2", RTLD_NOW | RTLD_LOCAL);
	p = h ? dlsym(h, name) : NULL;
	if (!p) {
		fprintf(stderr, "fault-shim: no %s in liburing.so.2\n", name);
		abort();
	}
	return p;
}

#define REAL(name, ret, ...)						\
	static ret (*real)(__VA_ARGS__);				\
	if (!real)							\
		real = (ret (*)(__VA_ARGS__))uring_sym(name)

#define ENTER(ring, call)						\
	({								\
		unsigned int from, to;					\
		int r;							\
									\
		ring_seen = ring;					\
		scan_cq(ring, 0);					\
		if (cq_full(ring)) {					\
			if (n_busy++ < 100)				\
				shim_log("busy %d\n", getpid());	\
			r = -EBUSY;					\
		} else {						\
			from = *ring->sq.khead;				\
			to = ring->sq.sqe_tail;				\
			r = call;					\
			if (ring->flags & IORING_SETUP_SQPOLL)		\
				scan_sq(ring, from, to);		\
			else						\
				scan_sq(ring, from, *ring->sq.khead);	\
			scan_cq(ring, 1);				\
		}							\
		r;							\
	})

int io_uring_submit(struct io_uring *ring)
{
	REAL("io_uring_submit", int, struct io_uring *);
	return ENTER(ring, real(ring));
}

int io_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr)
{
	REAL("io_uring_submit_and_wait", int, struct io_uring *, unsigned);
	return ENTER(ring, real(ring, wait_nr));
}

int io_uring_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
				     unsigned wait_nr, struct __kernel_timespec *ts,
				     sigset_t *sigmask)
{
	REAL("io_uring_submit_and_wait_timeout", int, struct io_uring *,
	     struct io_uring_cqe **, unsigned, struct __kernel_timespec *, sigset_t *);
	return ENTER(ring, real(ring, cqe_ptr, wait_nr, ts, sigmask));
}

int io_uring_get_events(struct io_uring *ring)
{
	int r;

	REAL("io_uring_get_events", int, struct io_uring *);
	ring_seen = ring;
	r = real(ring);
	scan_cq(ring, 1);
	return r;
}

int io_uring_register_buffers(struct io_uring *ring, const struct iovec *iovecs,
			      unsigned nr_iovecs)
{
	REAL("io_uring_register_buffers", int, struct io_uring *, const struct iovec *,
	     unsigned);
	if (nr_iovecs) {
		reg_base = (unsigned long)iovecs[0].iov_base;
		reg_known = 1;
	}
	return real(ring, iovecs, nr_iovecs);
}

static int open_common(const char *path, int flags, mode_t mode, int is64)
{
	static int (*real_open)(const char *, int, ...), (*real_open64)(const char *, int, ...);

	if (fake && !strcmp(path, "/dev/udmabuf")) {
		if (!real_open)
			real_open = dlsym(RTLD_NEXT, "open");
		fake_dev = real_open("/dev/null", O_RDWR | O_CLOEXEC);
		return fake_dev;
	}
	if (is64) {
		if (!real_open64)
			real_open64 = dlsym(RTLD_NEXT, "open64");
		return real_open64(path, flags, mode);
	}
	if (!real_open)
		real_open = dlsym(RTLD_NEXT, "open");
	return real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return open_common(path, flags, mode, 0);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return open_common(path, flags, mode, 1);
}

static void chunk_created(int fd, const struct udmabuf_create *c)
{
	if (fd < 0 || fd >= MAX_FD || nr_chunks >= MAX_CHUNKS)
		return;
	if (!nr_chunks)
		chunk_size = c->size;
	chunk_of_fd[fd] = ++nr_chunks;
	shim_log("create %d %d %llu %llu\n", getpid(), fd, (unsigned long long)c->offset,
	     (unsigned long long)c->size);
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	void *arg;
	va_list ap;
	int c;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = dlsym(RTLD_NEXT, "ioctl");
	if (req == UDMABUF_CREATE) {
		const struct udmabuf_create *cr = arg;
		int r;

		if (fake && fd == fake_dev)
			r = fcntl(cr->memfd, F_DUPFD_CLOEXEC, 0);
		else
			r = real(fd, req, arg);
		chunk_created(r, cr);
		return r;
	}
	if (req != DMA_BUF_IOCTL_SYNC || fd < 0 || fd >= MAX_FD || !chunk_of_fd[fd])
		return real(fd, req, arg);
	c = chunk_of_fd[fd] - 1;
	if (ring_seen)
		scan_cq(ring_seen, 0);
	{
		const struct dma_buf_sync *s = arg;
		int start = !(s->flags & DMA_BUF_SYNC_END);

		shim_log("sync %d %d %d %s %d\n", getpid(), fd, c, start ? "START" : "END",
		     c < MAX_CHUNKS ? inflight[c] : 0);
		if (c < MAX_CHUNKS)
			chunk_state[c] = start ? 'S' : 'E';
	}
	if (fake)
		return 0;
	return real(fd, req, arg);
}
