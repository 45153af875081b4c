/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fio-dmabuf: state shared by the engine's files.
 *
 * dmabuf.c is the fio glue (hooks), options.c the option table, ring.c the
 * io_uring ring, source*.c the buffer sources behind struct source_ops.
 */
#ifndef FIO_DMABUF_ENGINE_H
#define FIO_DMABUF_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>

#include "fio.h"

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define DMABUF_LOG_PREFIX "fio-dmabuf: "

struct source_ops;

/* Upper bound of force_async and eagain_retries */
#define DMABUF_MAX_COUNT	1000000

/* Engine options; fio stores them at td->eo. */
struct dmabuf_options {
	void *pad;		/* fio overwrites the first pointer: never use */
	char *source;		/* dmabuf_source=NAME[:ARG] */
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
 * The memory fio carves its io_u buffers from, as a source allocated it.
 * It is registered in nr_slots slots of slot_size bytes (the last may be
 * shorter), counted from the first io_u buffer so that no buffer straddles
 * two slots.
 */
struct dmabuf_area {
	const struct source_ops *ops;
	const char *arg;	/* text after "NAME:" in dmabuf_source, or NULL */
	void *cpu;		/* CPU mapping handed to fio as td->orig_buffer */
	size_t size;		/* bytes mapped at cpu */
	bool hugepage;		/* backed by huge pages */
	void *priv;		/* the source's own state */
};

/* Per io_u (by io_u->index): how fio's buffer address becomes an sqe. */
struct dmabuf_io {
	uint64_t bias;		/* sqe->addr = xfer_buf - bias */
	unsigned int slot;	/* sqe->buf_index */
	unsigned int reissues;	/* -EAGAIN reissues of the I/O in flight */
};

struct dmabuf_stats {
	uint64_t reg_ns;	/* time spent registering buffers */
	uint64_t reissues;	/* -EAGAIN completions reissued */
	uint64_t eagain_failed;	/* I/Os failed after eagain_retries reissues */
	uint64_t submit_calls;	/* io_uring_submit*() calls that entered */
};

/* td->io_ops_data */
struct dmabuf_engine {
	struct io_uring ring;
	unsigned int ring_flags;	/* IORING_SETUP_* the kernel accepted */
	bool ring_ready;
	bool ring_fd_registered;
	unsigned int queued;		/* sqes prepared, not yet submitted */
	unsigned int async_count;	/* for force_async */
	unsigned int nr_events;
	struct io_u **events;		/* reaped, handed out by ->event() */
	struct io_u **pending;		/* queued since the last commit */
	struct dmabuf_io *ios;		/* by io_u->index */
	unsigned int nr_ios;
	int *fds;			/* registered files, by fileno */
	unsigned int nr_fds;
	struct dmabuf_area area;
	bool area_ours;			/* allocated by iomem_alloc, not fio */
	unsigned int nr_slots;
	uint64_t slot_size;
	bool bufs_registered;
	struct dmabuf_stats stats;
};

/* options.c */
extern struct fio_option dmabuf_options_table[];

/* ring.c */
int ring_init(struct dmabuf_engine *ed, unsigned int depth,
	      const struct dmabuf_options *o);
void ring_exit(struct dmabuf_engine *ed);
const char *ring_flags_str(unsigned int flags, char *buf, size_t len);
int ring_register_files(struct dmabuf_engine *ed, struct thread_data *td);
int ring_register_area(struct dmabuf_engine *ed, struct thread_data *td);
void ring_unregister_bufs(struct dmabuf_engine *ed);

#endif /* FIO_DMABUF_ENGINE_H */
