/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the conformance cases (conformance/cases/NAME.c): one
 * case per program, in liburing's test style. A case ends with exactly one
 * result line on stdout, written by conf_pass() and friends, and its exit
 * status:
 *
 *   0 pass, 1 fail, 77 skip, 3 known defect of the kernel's series version
 *
 * Before a step that may hang on a known defect, a case announces it with
 * conf_may_hang(); scripts/conformance reads that line if the case then
 * never returns. conf_observe() lines go into the JSON report as they are.
 *
 * The device under test comes from the environment (scripts/conformance
 * sets it): CONF_DEV, the namespace (opened O_RDWR | O_DIRECT), CONF_DEV2, a
 * second one or unset, CONF_DEV4K, one with 4096-byte logical blocks or
 * unset. Cases may overwrite the data on all of them.
 */
#ifndef FIO_DMABUF_CONF_H
#define FIO_DMABUF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

#include "dmabuf_uapi.h"
#include "exporter.h"

#define CONF_PASS	0
#define CONF_FAIL	1
#define CONF_KNOWN	3
#define CONF_SKIP	77

struct conf_dev {
	const char *path;
	int fd;			/* O_RDWR | O_DIRECT */
	unsigned int lba;	/* logical block size, from sysfs */
	uint64_t size;
};

/* What conf_init() found. */
struct conf {
	struct conf_dev dev, dev2;	/* dev2.fd < 0 without CONF_DEV2 */
	struct conf_dev dev4k;		/* dev4k.fd < 0 without CONF_DEV4K */
	bool series;		/* the kernel takes extended buffer updates */
	long page;
};

extern struct conf conf;

/* The usual setup: a dma-buf, a ring and its sparse buffer table. */
struct conf_ctx {
	struct dmabuf_export x;
	struct io_uring ring;
};

/*
 * conf_init(), conf_need_series(), a size-byte dma-buf from exporter, a
 * ring of entries with setup flags and a table of slots; nothing
 * registered yet.
 */
void conf_setup(struct conf_ctx *c, const char *exporter, size_t size,
		unsigned int entries, unsigned int flags, unsigned int slots);

/* Open the devices, probe the API. Skips (77) when CONF_DEV is unusable. */
void conf_init(void);
/* Skip unless the kernel has the series; say which probe said so. */
void conf_need_series(void);
/* Skip unless a second namespace was given. */
void conf_need_dev2(void);
/* Skip unless a 4096-byte-LBA namespace was given. */
void conf_need_dev4k(void);

__attribute__((noreturn, format(printf, 1, 2))) void conf_pass(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void conf_fail(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void conf_skip(const char *fmt, ...);
/* defect: a stable name, e.g. "v3-reissue-reimport" */
__attribute__((noreturn, format(printf, 2, 3)))
void conf_known(const char *defect, const char *fmt, ...);
/* One "OBSERVE key=value" line, for the report. */
__attribute__((format(printf, 2, 3))) void conf_observe(const char *key, const char *fmt, ...);
/* "MAY-HANG defect: what": the next step may never return on this kernel. */
__attribute__((format(printf, 2, 3)))
void conf_may_hang(const char *defect, const char *fmt, ...);

/*
 * End the case on a result the contract fixes: pass when got == want,
 * else fail; what says what was sent.
 */
__attribute__((noreturn)) void conf_expect(int got, int want, const char *what);
/*
 * The same where versions of the series differ: pass when got is either,
 * saying which version's behaviour the kernel showed.
 */
__attribute__((noreturn))
void conf_expect_either(int got, int want_v3, int want_later, const char *later,
			const char *what);

/* "-EINVAL", "3", ...: a cqe->res or syscall result as a kernel person reads it. */
const char *conf_res(int res);

/* A ring of entries with setup flags; fails the case if it cannot be made. */
void conf_ring(struct io_uring *ring, unsigned int entries, unsigned int flags);
/* A sparse buffer table of nr slots; fails the case otherwise. */
void conf_table(struct io_uring *ring, unsigned int nr);

/*
 * IORING_REGISTER_BUFFERS_UPDATE (or another update opcode) with a raw
 * struct io_uring_rsrc_update2 of the given flags: what the kernel returned
 * (slots done, or -errno).
 */
int conf_update(int ring_fd, unsigned int opcode, unsigned int off,
		unsigned int flags, const void *data, unsigned int nr);
/* One descriptor into slot off with the EXTENDED flag; as conf_update(). */
int conf_update_desc(struct io_uring *ring, unsigned int off,
		     const struct io_uring_regbuf_desc *desc);
/* A dma-buf descriptor for dmabuf_fd bound to target_fd. */
struct io_uring_regbuf_desc conf_desc(int dmabuf_fd, int target_fd);
/* Register dmabuf_fd in slot off for target_fd, or fail the case. */
void conf_register(struct io_uring *ring, unsigned int off, int dmabuf_fd, int target_fd);
/* Empty slot off (EMPTY descriptor): slots done or -errno. */
int conf_unregister_slot(struct io_uring *ring, unsigned int off);

/*
 * A dma-buf of size bytes from exporter e ("udmabuf", "heap", "drm"), one
 * chunk, CPU-mapped at x->cpu. Skips the case if the exporter is missing.
 */
void conf_dmabuf(struct dmabuf_export *x, const char *name, size_t size);

/* Prepare one fixed read/write of len bytes at buf_off of slot to dev_off. */
void conf_prep_rw(struct io_uring_sqe *sqe, int op, int fd, unsigned int slot,
		  uint64_t buf_off, unsigned int len, uint64_t dev_off);
/* Submit one fixed read/write and wait for it: cqe->res. */
int conf_rw(struct io_uring *ring, int op, int fd, unsigned int slot,
	    uint64_t buf_off, unsigned int len, uint64_t dev_off);

/*
 * The independent path: pread/pwrite with O_DIRECT through ordinary
 * (aligned) memory, on the device's own fd. Fail the case on a short or
 * failed transfer.
 */
void conf_pread(const struct conf_dev *d, void *buf, size_t len, uint64_t off);
void conf_pwrite(const struct conf_dev *d, const void *buf, size_t len, uint64_t off);
/* Page-aligned ordinary memory, or fail the case. */
void *conf_alloc(size_t len);

/* Fill buf with a pattern that names seed and each byte's position. */
void conf_fill(void *buf, size_t len, uint32_t seed);
/* First differing offset of a and b, or -1. */
long conf_diff(const void *a, const void *b, size_t len);
/* Bracket CPU access to chunk 0 of x (DMA_BUF_IOCTL_SYNC START / END). */
void conf_cpu_begin(const struct dmabuf_export *x);
void conf_cpu_end(const struct dmabuf_export *x);

/*
 * The dma-bufs the kernel has (debugfs dma_buf/bufinfo): how many there
 * are and their total size; -1 when debugfs cannot be read.
 */
long conf_dmabuf_count(uint64_t *bytes);

/* Monotonic time in ns. */
uint64_t conf_now_ns(void);

/*
 * Helpers of the lifetime, fault, security and concurrency cases (life-,
 * fault-, sec-, conc-).
 */

/*
 * The largest I/O the device takes as one request (queue/max_sectors_kb),
 * in bytes. A dma-buf I/O larger than that must be split, which the inline
 * (nonblocking) issue refuses with -EAGAIN, and io_uring then reissues it
 * internally: on v3 that is the reissue-reimport defect (notes 1.6). Cases
 * that are not about that defect keep their I/O at most this size.
 */
unsigned int conf_max_io(const struct conf_dev *d);

/* The inode number of the dma-buf behind fd (bufinfo's "ino"), or 0. */
unsigned long conf_dmabuf_ino(int fd);
/*
 * debugfs dma_buf/bufinfo's entry of the dma-buf with inode ino: 1 listed
 * (*count its file count, *attached its attached devices; either may be
 * NULL), 0 not listed, -1 debugfs unreadable.
 */
int conf_dmabuf_find(unsigned long ino, long *count, int *attached);
/*
 * Poll bufinfo for up to timeout_ms until the dma-buf ino is listed
 * (want 1) or gone (want 0): what conf_dmabuf_find() said last.
 */
int conf_dmabuf_wait(unsigned long ino, int want, int timeout_ms);
/* Poll until conf_dmabuf_count() is want, up to timeout_ms: the last count. */
long conf_dmabuf_count_wait(long want, int timeout_ms);

/* A batch of fixed I/Os and what became of them. */
struct conf_batch {
	unsigned int submitted, reaped;
	unsigned int ok;	/* res == the length asked */
	unsigned int failed;	/* res < 0 */
	unsigned int shorts;	/* 0 <= res < length */
	int errs[8];		/* the distinct negative results seen */
	unsigned int nr_errs;
	unsigned int len;	/* bytes per I/O */
	int *res;		/* NULL, or res[user_data] of each CQE */
};

/*
 * Queue and submit n fixed I/Os of b->len bytes on slot: I/O i at buf_off
 * + i * len in the buffer and dev_off + i * len on fd, user_data i. Fails
 * the case when the SQ is too small or the submit fails.
 */
void conf_batch_submit(struct io_uring *ring, struct conf_batch *b, int op, int fd,
		       unsigned int slot, unsigned int n, uint64_t buf_off, uint64_t dev_off);
/* I/Os submitted and not completed: submitted - reaped - CQEs waiting. */
unsigned int conf_batch_in_flight(struct io_uring *ring, const struct conf_batch *b);
/*
 * Reap until every submitted I/O has its CQE or timeout_ms passed: 0, or
 * -ETIME with b->reaped < b->submitted.
 */
int conf_batch_reap(struct io_uring *ring, struct conf_batch *b, int timeout_ms);
/* "-EIO,-ECANCELED" or "none": b's distinct errors, for a result line. */
const char *conf_batch_errs(const struct conf_batch *b);

/*
 * Run fn(arg) in a thread and wait up to timeout_ms: true if it returned
 * (its result in *ret), false if it still runs (the thread is left behind:
 * the case should end soon, the process may not exit).
 */
bool conf_timed_call(long (*fn)(void *), void *arg, int timeout_ms, long *ret);

/* Write val to a sysfs/debugfs/procfs file: 0 or -errno. */
int conf_write_file(const char *path, const char *val);
/* Read the first line of a file into buf (newline stripped): 0 or -errno. */
int conf_read_file(const char *path, char *buf, size_t len);

/*
 * Move len bytes between slot (at buf_off) and fd (at dev_off) in I/Os of
 * bs bytes, qd in flight, reissuing any -EAGAIN (counted in *eagain, which
 * may be NULL; at most 1000 reissues): 0, or the first failure (its
 * negative result, or -EIO for a short one).
 */
int conf_xfer(struct io_uring *ring, int op, int fd, unsigned int slot, uint64_t buf_off,
	      uint64_t dev_off, size_t len, unsigned int bs, unsigned int qd,
	      unsigned int *eagain);

/*
 * Data helpers of the io- and data- cases: each fails the case on an error
 * or a wrong byte. A transfer whose CQE says -EAGAIN is reissued, as the
 * series asks of its users (v3 patch 10), at most 1000 times in a row;
 * conf_eagains counts those reissues.
 */
extern unsigned long conf_eagains;

/* conf_rw(), reissued while the CQE says -EAGAIN: the last cqe->res. */
int conf_rw_retry(struct io_uring *ring, int op, int fd, unsigned int slot,
		  uint64_t buf_off, unsigned int len, uint64_t dev_off);

/* Put a conf_fill() pattern of seed at off..off+len of d (pwrite O_DIRECT). */
void conf_dev_pattern(const struct conf_dev *d, uint64_t off, size_t len, uint32_t seed);

/*
 * READ_FIXED len bytes at dev_off of d, submitted on fd (d's own, or one
 * that shares its struct file), into buf_off of slot, whose dma-buf is x:
 * the bytes must be what conf_pread() reads there, and the poison put in
 * up to 4 KiB of the dma-buf either side must be untouched.
 */
void conf_check_read(struct io_uring *ring, const struct conf_dev *d, int fd,
		     unsigned int slot, const struct dmabuf_export *x,
		     uint64_t buf_off, unsigned int len, uint64_t dev_off);
/*
 * WRITE_FIXED a seed pattern put at buf_off of x to dev_off of d: conf_pread()
 * must read the pattern back, and the logical blocks either side of the
 * range must keep what they held.
 */
void conf_check_write(struct io_uring *ring, const struct conf_dev *d, int fd,
		      unsigned int slot, const struct dmabuf_export *x,
		      uint64_t buf_off, unsigned int len, uint64_t dev_off,
		      uint32_t seed);

/*
 * The liburing-style grid on d through slot (dma-buf x): for every device
 * offset x buffer offset x length of the lists, a conf_check_read() and a
 * conf_check_write(); cells that do not fit in x or d are left out. Returns
 * the transfers done.
 */
unsigned int conf_grid(struct io_uring *ring, const struct conf_dev *d,
		       unsigned int slot, const struct dmabuf_export *x,
		       const uint64_t *dev_offs, unsigned int nr_dev,
		       const uint64_t *buf_offs, unsigned int nr_buf,
		       const unsigned int *lens, unsigned int nr_len);

/*
 * n READ_FIXED of len bytes submitted together on slot, I/O i from dev_off
 * + i * len of d into buf_off + i * len of x, each reissued on -EAGAIN: all
 * must complete whole within 120 s, and the dma-buf must then hold what
 * conf_pread() reads there. Returns the I/Os submitted and not completed
 * right after the submit (CQEs not yet posted count as in flight).
 */
unsigned int conf_check_batch_read(struct io_uring *ring, const struct conf_dev *d,
				   unsigned int slot, const struct dmabuf_export *x,
				   unsigned int n, unsigned int len, uint64_t buf_off,
				   uint64_t dev_off);

/*
 * One thread's share of a conc- case: its ring (ring, with a buffer table
 * of more than slot slots, or NULL: the job makes its own with setup
 * flags), dmabuf_fd registered in slot for fd, then rounds of WRITE_FIXED
 * of len bytes from buf_w to dev_off + round * len and READ_FIXED of them
 * back into buf_r, bs bytes per I/O, qd in flight, any -EAGAIN reissued.
 * err: 0 or the first failure, where says what it was. A thread function
 * (pthread_create); returns NULL.
 */
struct conf_conc_job {
	struct io_uring *ring;
	unsigned int flags;
	int dmabuf_fd, fd;
	unsigned int slot;
	uint64_t buf_w, buf_r, dev_off;
	size_t len;
	unsigned int rounds, bs, qd;
	int err;
	unsigned int eagain;
	char where[96];
	struct io_uring own;
};
void *conf_conc_run(void *job);
/*
 * After the jobs' threads have ended: fail the case on a job's error, or
 * where a job's device regions (conf_pread) or its buf_r in cpu (the
 * dma-buf's CPU view) do not hold its buf_w's bytes.
 */
void conf_conc_check(const struct conf_conc_job *jobs, unsigned int n, const void *cpu,
		     const struct conf_dev *d);

/*
 * Let udev finish probing the devices and drop their page cache
 * (BLKFLSBUF on each). udev watches block devices: when a writer closes
 * one, it re-reads the device with buffered I/O, and while a case holds
 * the device open those pages stay cached. A WRITE_FIXED over cached
 * pages (or a READ_FIXED over dirty ones) then gets -EAGAIN at the inline
 * issue and goes to io-wq, which on v3 imports the map a second time: the
 * reissue-reimport leak, at random (io-page-cache tests it on purpose).
 * Cases not about that call this after their setup.
 */
void conf_no_page_cache(void);

#endif /* FIO_DMABUF_CONF_H */
