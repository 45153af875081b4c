/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fio-dmabuf: state shared by the engine's files.
 *
 * dmabuf.c is the fio glue (set-up and teardown hooks), io.c the hot path
 * (queue, commit, getevents, event), path.c the three ways a buffer is
 * registered, options.c the option table, ring.c the io_uring ring,
 * source*.c the buffer sources and report.c the end-of-job counters.
 */
#ifndef FIO_DMABUF_ENGINE_H
#define FIO_DMABUF_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>

#include "fio.h"
#include "exporter.h"

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define DMABUF_LOG_PREFIX "fio-dmabuf: "

/* Upper bound of force_async and eagain_retries */
#define DMABUF_MAX_COUNT	1000000

struct source_ops;

enum dmabuf_path {
	PATH_AUTO = 0,
	PATH_DIRECT,	/* the kernel's io_uring dma-buf registered buffers */
	PATH_MAPPED,	/* the same pages as classic registered buffers */
	PATH_BOUNCE,	/* I/O into host memory, copied to/from the dma-buf */
};

/* dmabuf_sync: when DMA_BUF_IOCTL_SYNC brackets CPU access to a dma-buf */
enum dmabuf_sync_mode {
	SYNC_AUTO = 0,	/* per I/O only where the CPU touches the data then */
	SYNC_ALWAYS,	/* per I/O on every path that has a CPU view (measures the cost) */
	SYNC_NEVER,	/* not at all (safe only on cache-coherent DMA) */
};

/* Engine options; fio stores them at td->eo. */
struct dmabuf_options {
	void *pad;		/* fio overwrites the first pointer: never use */
	char *source;		/* dmabuf_source=NAME[:ARG] */
	unsigned int path;	/* enum dmabuf_path */
	unsigned int sync;	/* enum dmabuf_sync_mode */
	unsigned int warm;	/* build the kernel's DMA maps before timing */
	unsigned long long chunk_max;	/* largest single dma-buf */
	char *stats_file;	/* append the job's counters as JSON */
	unsigned int hipri;
	unsigned int sqpoll;
	unsigned int sqpoll_cpu;
	unsigned int sqpoll_cpu_set;
	unsigned int registerfiles;
	unsigned int nowait;
	unsigned int force_async;
	unsigned int hugepage;
	unsigned int eagain_retries;
	unsigned int bad_value;	/* a value failed to parse */
};

/*
 * The memory fio carves its io_u buffers from. For dma-buf sources it is
 * the CPU view of the dma-bufs (exp.cpu), or a host shadow of device
 * memory that the CPU cannot map.
 */
struct dmabuf_area {
	const struct source_ops *ops;
	const char *arg;	/* text after "NAME:" in dmabuf_source, or NULL */
	void *cpu;		/* handed to fio as td->orig_buffer */
	size_t size;		/* bytes mapped at cpu */
	bool hugepage;		/* backed by huge pages */
	bool shadow;		/* cpu is a host copy of device memory */
	size_t chunk_max;	/* largest dma-buf the engine wants, 0: dmabuf_chunk_max */
	struct dmabuf_export exp;	/* the dma-bufs; exp.exp is NULL for mem */
};

/* Per io_u (by io_u->index): how fio's buffer address becomes an sqe. */
struct dmabuf_io {
	uint64_t bias;		/* sqe->addr = xfer_buf - bias */
	unsigned int slot;	/* sqe->buf_index for the first file */
	unsigned int chunk;	/* the dma-buf holding this buffer */
	unsigned int reissues;	/* -EAGAIN reissues of the I/O in flight */
};

struct dmabuf_stats {
	uint64_t reg_ns;	/* time spent registering buffers */
	uint64_t warm_ns;	/* time spent building DMA maps before timing */
	uint64_t reissues;	/* -EAGAIN completions reissued (sqes the kernel took) */
	uint64_t eagain_failed;	/* I/Os failed after eagain_retries reissues */
	uint64_t submit_calls;	/* io_uring_submit() calls (commit, and getevents for reissues) */
	uint64_t bounce_bytes;	/* bytes copied between bounce and dma-buf */
	uint64_t sync_calls;	/* DMA_BUF_IOCTL_SYNC calls */
	uint64_t copy_bytes;	/* bytes copied for fio's data checks (device memory) */
};

/* td->io_ops_data */
struct dmabuf_engine {
	struct io_uring ring;
	unsigned int ring_flags;	/* IORING_SETUP_* the kernel accepted */
	bool ring_ready;
	bool ring_fd_registered;
	enum dmabuf_path path;		/* the path in use (never PATH_AUTO) */
	char path_why[512];		/* why auto did not choose direct, or "" */
	bool sync;			/* DMA_BUF_IOCTL_SYNC around CPU access */
	bool cpu_holds;			/* SYNC_START taken on every dma-buf at set-up */
	bool data_copies;		/* device memory: keep fio's shadow in step */
	bool path_work;			/* sync, bounce or data copies per I/O */
	unsigned int *busy;		/* per dma-buf: I/Os in flight on it (ed->sync) */
	bool submit_now;		/* sqes wait that getevents must submit */
	unsigned int queued;		/* sqes in the SQ the kernel has not taken */
	unsigned int async_count;	/* for force_async */
	unsigned int nr_events;
	struct io_u **events;		/* reaped, handed out by ->event() */
	struct io_u **pending;		/* the io_us of those sqes, in SQ order */
	struct dmabuf_io *ios;		/* by io_u->index */
	unsigned int nr_ios;
	int *fds;			/* files opened at post_init, by fileno */
	unsigned int nr_fds;
	bool fixed_files;		/* fds are registered with the ring */
	struct dmabuf_area area;
	bool area_ours;			/* allocated by iomem_alloc, not fio */
	void *bounce;			/* bounce buffer (PATH_BOUNCE) */
	bool bounce_pinned;		/* ... page-locked by the exporter's driver */
	unsigned int nr_slots;		/* registered-buffer slots in use */
	unsigned int slot_stride;	/* slots per file (PATH_DIRECT), else 0 */
	bool bufs_registered;
	struct dmabuf_stats stats;
};

static inline const char *path_name(enum dmabuf_path p)
{
	static const char *const names[] = { "auto", "direct", "mapped", "bounce" };

	return names[p];
}

/* options.c */
extern struct fio_option dmabuf_options_table[];

/* ring.c */
int ring_init(struct dmabuf_engine *ed, unsigned int depth,
	      const struct dmabuf_options *o);
void ring_exit(struct dmabuf_engine *ed);
const char *ring_flags_str(unsigned int flags, char *buf, size_t len);
int ring_open_files(struct dmabuf_engine *ed, struct thread_data *td, bool fixed);
void ring_close_files(struct dmabuf_engine *ed);
int ring_register_iovecs(struct dmabuf_engine *ed, struct thread_data *td,
			 char *base, size_t size);
void ring_unregister_bufs(struct dmabuf_engine *ed);

/* path.c */
int path_check(struct thread_data *td, const struct source_ops *src);
int path_setup(struct thread_data *td, struct dmabuf_engine *ed);
size_t path_chunk_max(const struct thread_data *td, const struct exporter *e,
		      size_t unit);
void path_teardown(struct dmabuf_engine *ed);

/* io.c: the hot path */
enum fio_q_status dmabuf_queue(struct thread_data *td, struct io_u *io_u);
int dmabuf_commit(struct thread_data *td);
int dmabuf_getevents(struct thread_data *td, unsigned int min, unsigned int max,
		     const struct timespec *t);
struct io_u *dmabuf_event(struct thread_data *td, int event);

/* report.c */
void report_job(struct thread_data *td, struct dmabuf_engine *ed);

#endif /* FIO_DMABUF_ENGINE_H */
