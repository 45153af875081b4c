// SPDX-License-Identifier: GPL-2.0
/*
 * The hot path: queue, commit, getevents, event. No allocation; what does
 * not change during a job was decided at set-up, and the per-I/O work of
 * the dma-buf paths (syncs, bounce and device copies) sits behind one
 * flag, ed->path_work.
 */
#include <errno.h>
#include <string.h>
#include <linux/dma-buf.h>

#include "engine.h"

static inline void prep_rw(struct dmabuf_engine *ed, const struct dmabuf_options *o,
			   struct io_uring_sqe *sqe, struct io_u *io_u)
{
	const struct dmabuf_io *io = &ed->ios[io_u->index];
	const struct fio_file *f = io_u->file;

	io_uring_prep_rw(io_u->ddir == DDIR_WRITE ? IORING_OP_WRITE_FIXED :
			 IORING_OP_READ_FIXED, sqe, f->engine_pos,
			 (void *)(uintptr_t)((uintptr_t)io_u->xfer_buf - io->bias),
			 io_u->xfer_buflen, io_u->offset);
	sqe->buf_index = io->slot + f->fileno * ed->slot_stride;
	sqe->flags = ed->fixed_files ? IOSQE_FIXED_FILE : 0;
	sqe->rw_flags = o->nowait ? RWF_NOWAIT : 0;
	if (o->force_async && ++ed->async_count >= o->force_async) {
		ed->async_count = 0;
		sqe->flags |= IOSQE_ASYNC;
	}
	io_uring_sqe_set_data(sqe, io_u);
}

/*
 * The sync protocol (DMA_BUF_IOCTL_SYNC), one rule on every path that
 * syncs per I/O (ed->sync): a dma-buf ("chunk") is owned by the device
 * while at least one I/O on it is in flight, and by the CPU otherwise.
 * ed->busy[c] counts the I/Os in flight on chunk c; ownership moves only
 * on its edges:
 *
 *   0 -> 1  (the first I/O on c is prepared)   END   the CPU hands c over
 *   1 -> 0  (the last I/O on c has completed)  START the CPU takes c back
 *
 * Set-up takes every chunk for the CPU (one START each: fio fills and
 * checks buffers through it) and teardown hands back what the CPU holds
 * (END), so per dma-buf the ioctls go START, END, START, ..., END: they
 * strictly alternate, a START never nests in a START (which on a
 * non-coherent system would invalidate the CPU's own unflushed writes),
 * and no START comes while an I/O on that chunk is in flight (which would
 * let the CPU see, or keep cached, data the device is still moving).
 *
 * The CPU touches a chunk only while it owns it: the bounce copies run
 * before the END of a write and after the START of a read, and fio fills
 * and checks an io_u's buffer only while that io_u is not in flight. So
 * that fio's access to one buffer never falls into a device window opened
 * for another, the engine gives each I/O buffer a dma-buf of its own
 * whenever it syncs per I/O (path_chunk_max()); only a bs that is not a
 * multiple of the page size still puts several buffers in one dma-buf,
 * where the counts keep the ioctls exact but fio may fill an idle buffer
 * inside the device's window (cache-coherent systems do not care).
 *
 * Without per-I/O syncing nothing here runs: a direct job hands its
 * dma-bufs to the device once at set-up (START, END) and syncs nothing
 * per I/O; mapped never syncs.
 */
static inline void sync_chunk(struct dmabuf_engine *ed, unsigned int c, uint64_t flags)
{
	export_sync(&ed->area.exp, c, flags);
	ed->stats.sync_calls++;
}

/* An I/O on chunk c goes to the device. */
static inline void chunk_get(struct dmabuf_engine *ed, unsigned int c)
{
	if (!ed->busy[c]++)
		sync_chunk(ed, c, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

/* An I/O on chunk c is done with the device. */
static inline void chunk_put(struct dmabuf_engine *ed, unsigned int c)
{
	if (!--ed->busy[c])
		sync_chunk(ed, c, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
}

/* Offset of fio's transfer in its dma-buf. */
static inline size_t chunk_off(const struct dmabuf_engine *ed, const struct io_u *io_u)
{
	const struct dmabuf_io *io = &ed->ios[io_u->index];

	return (size_t)((char *)io_u->xfer_buf - (char *)ed->area.cpu) -
		(size_t)io->chunk * ed->area.exp.chunk_size;
}

/*
 * Device memory (no CPU view): copy between it and host memory. A failed
 * copy fails the I/O (0 or -errno): data that never reached the device, or
 * never came back from it, must not pass for a transfer.
 */
static int device_copy(struct dmabuf_engine *ed, const struct io_u *io_u, void *host,
		       size_t len, bool to_device)
{
	struct dmabuf_export *x = &ed->area.exp;
	int ret;

	ret = x->exp->copy(x, ed->ios[io_u->index].chunk, chunk_off(ed, io_u), host, len,
			   to_device);
	if (unlikely(ret))
		log_err(DMABUF_LOG_PREFIX "%s\n", x->err);
	return ret;
}

/*
 * Before an I/O goes to the kernel: hand data over to the device side.
 * 0, or -errno from a device copy: then the I/O must not be issued.
 */
static int before_submit(struct dmabuf_engine *ed, struct io_u *io_u)
{
	const struct dmabuf_io *io = &ed->ios[io_u->index];
	void *bounce = (void *)(uintptr_t)((uintptr_t)io_u->xfer_buf - io->bias);
	bool write = io_u->ddir == DDIR_WRITE;
	int ret = 0;

	if (ed->data_copies && write) {
		ret = device_copy(ed, io_u, io_u->xfer_buf, io_u->xfer_buflen, true);
		if (unlikely(ret))
			return ret;
		ed->stats.copy_bytes += io_u->xfer_buflen;
	}
	if (ed->path == PATH_BOUNCE && write) {
		/* the traditional route: dma-buf -> host, then write */
		if (ed->area.shadow)
			ret = device_copy(ed, io_u, bounce, io_u->xfer_buflen, false);
		else
			memcpy(bounce, io_u->xfer_buf, io_u->xfer_buflen);
		if (unlikely(ret))
			return ret;
		ed->stats.bounce_bytes += io_u->xfer_buflen;
	}
	if (ed->sync)
		chunk_get(ed, io->chunk);
	return 0;
}

/*
 * After an I/O finished (not reissued) with len good bytes: bring data
 * back to fio's side. 0, or -errno from a device copy: then the I/O has
 * failed.
 */
static int after_complete(struct dmabuf_engine *ed, struct io_u *io_u, size_t len)
{
	const struct dmabuf_io *io = &ed->ios[io_u->index];
	void *bounce = (void *)(uintptr_t)((uintptr_t)io_u->xfer_buf - io->bias);
	bool read = io_u->ddir == DDIR_READ && len;
	int ret = 0;

	if (ed->sync)
		chunk_put(ed, io->chunk);
	if (ed->path == PATH_BOUNCE && read) {
		if (ed->area.shadow)
			ret = device_copy(ed, io_u, bounce, len, true);
		else
			memcpy(io_u->xfer_buf, bounce, len);
		if (unlikely(ret))
			return ret;
		ed->stats.bounce_bytes += len;
	}
	if (ed->data_copies && read) {
		ret = device_copy(ed, io_u, io_u->xfer_buf, len, false);
		if (likely(!ret))
			ed->stats.copy_bytes += len;
	}
	return ret;
}

/* fsync and trim: not on the measured path, kept simple. */
static enum fio_q_status queue_other(struct thread_data *td, struct dmabuf_engine *ed,
				     struct io_u *io_u)
{
	struct io_uring_sqe *sqe;

	if (io_u->ddir == DDIR_TRIM) {
		/* Synchronous (FIO_ASYNCIO_SYNC_TRIM): keep the order. */
		if (ed->queued)
			return FIO_Q_BUSY;
		do_io_u_trim(td, io_u);
		io_u_mark_submit(td, 1);
		io_u_mark_complete(td, 1);
		return FIO_Q_COMPLETED;
	}
	if (!ddir_sync(io_u->ddir) || io_u->ddir == DDIR_SYNC_FILE_RANGE) {
		io_u->error = EOPNOTSUPP;
		return FIO_Q_COMPLETED;
	}
	sqe = io_uring_get_sqe(&ed->ring);
	if (!sqe)
		return FIO_Q_BUSY;
	io_uring_prep_fsync(sqe, io_u->file->engine_pos,
			    io_u->ddir == DDIR_DATASYNC ? IORING_FSYNC_DATASYNC : 0);
	sqe->flags = ed->fixed_files ? IOSQE_FIXED_FILE : 0;
	io_uring_sqe_set_data(sqe, io_u);
	ed->ios[io_u->index].reissues = 0;
	ed->pending[ed->queued++] = io_u;
	return FIO_Q_QUEUED;
}

enum fio_q_status dmabuf_queue(struct thread_data *td, struct io_u *io_u)
{
	struct dmabuf_engine *ed = td->io_ops_data;
	struct io_uring_sqe *sqe;

	fio_ro_check(td, io_u);
	if (unlikely(!ddir_rw(io_u->ddir)))
		return queue_other(td, ed, io_u);
	if (unlikely(ed->path_work)) {
		int ret;

		/* copy only for an I/O that will have its sqe */
		if (!io_uring_sq_space_left(&ed->ring))
			return FIO_Q_BUSY;
		ret = before_submit(ed, io_u);
		if (ret) {
			io_u->error = -ret;
			return FIO_Q_COMPLETED;
		}
	}
	sqe = io_uring_get_sqe(&ed->ring);
	if (unlikely(!sqe))
		return FIO_Q_BUSY;
	ed->ios[io_u->index].reissues = 0;
	prep_rw(ed, td->eo, sqe, io_u);
	ed->pending[ed->queued++] = io_u;
	return FIO_Q_QUEUED;
}

/*
 * The kernel has taken the first sqes of ed->pending[] (they are in SQ
 * order): give the new ones what fio's own commit path would (issue time,
 * slat, submit depth) and count the reissues, now that they are issued;
 * keep the rest for the next enter. Runs after every enter that submits,
 * whichever hook made it, so each sqe is accounted exactly once.
 */
static void account_issued(struct thread_data *td, struct dmabuf_engine *ed)
{
	unsigned int left = 0, n, i, fresh = 0;
	struct timespec now;
	bool stamp;

	/* SQPOLL: what is in the SQ ring is the kernel thread's */
	if (!(ed->ring_flags & IORING_SETUP_SQPOLL))
		left = io_uring_sq_ready(&ed->ring);
	if (unlikely(left >= ed->queued))
		return;
	n = ed->queued - left;
	stamp = fio_fill_issue_time(td);
	if (stamp)
		fio_gettime(&now, NULL);
	for (i = 0; i < n; i++) {
		struct io_u *io_u = ed->pending[i];

		if (unlikely(ed->ios[io_u->index].reissues)) {
			ed->stats.reissues++;
			continue;
		}
		fresh++;
		if (stamp) {
			io_u->issue_time = now;
			io_u_queued(td, io_u);
		}
	}
	if (fresh) {
		if (stamp && td->o.read_iolog_file)
			td->last_issue = now;
		io_u_mark_submit(td, fresh);
	}
	if (unlikely(left))
		memmove(ed->pending, ed->pending + n, left * sizeof(*ed->pending));
	ed->queued = left;
	if (!left)
		ed->submit_now = false;
}

static inline bool transient(int err)
{
	return err == -EINTR || err == -EAGAIN || err == -EBUSY;
}

/*
 * io_uring_submit(), accounted. A transient error (-EAGAIN, -EBUSY: the
 * kernel is short of requests, or its CQ is full) is not retried here:
 * completions must be reaped first, so the sqes wait in the SQ and
 * getevents submits them after it reaped (submit_now).
 */
static int submit(struct thread_data *td, struct dmabuf_engine *ed, const char *what)
{
	int ret = io_uring_submit(&ed->ring);

	ed->stats.submit_calls++;
	account_issued(td, ed);
	if (likely(ret >= 0))
		return 0;
	if (transient(ret)) {
		ed->submit_now = ed->queued != 0;
		return 0;
	}
	td_verror(td, -ret, what);
	return ret;
}

int dmabuf_commit(struct thread_data *td)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	if (!ed->queued)
		return 0;
	/* A partial submit leaves the rest in the SQ; account_issued() knows. */
	return submit(td, ed, "io_uring_submit");
}

/*
 * Reissue an I/O that completed with -EAGAIN, at most eagain_retries times.
 * Its sqe waits in the SQ with the others; getevents submits it before it
 * returns, so it does not wait for fio's next commit.
 */
static bool reissue(struct thread_data *td, struct dmabuf_engine *ed, struct io_u *io_u)
{
	const struct dmabuf_options *o = td->eo;
	struct dmabuf_io *io = &ed->ios[io_u->index];
	struct io_uring_sqe *sqe;

	if (!ddir_rw(io_u->ddir) || io->reissues >= o->eagain_retries)
		goto failed;
	/*
	 * Cannot fail: an io_u holds at most one sqe, and the SQ has room for
	 * iodepth of them. Were it full, failing the I/O is the honest answer:
	 * submitting from inside the completion loop is what this avoids.
	 */
	if (unlikely(ed->queued >= ed->nr_ios))
		goto failed;
	sqe = io_uring_get_sqe(&ed->ring);
	if (unlikely(!sqe))
		goto failed;
	io->reissues++;
	prep_rw(ed, o, sqe, io_u);
	ed->pending[ed->queued++] = io_u;
	ed->submit_now = true;
	return true;
failed:
	ed->stats.eagain_failed++;
	return false;
}

static void reap(struct thread_data *td, struct dmabuf_engine *ed, unsigned int max)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	io_uring_for_each_cqe(&ed->ring, head, cqe) {
		struct io_u *io_u = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		if (ed->nr_events == max)
			break;
		seen++;
		if (unlikely(res < 0)) {
			if (res == -EAGAIN && reissue(td, ed, io_u))
				continue;
			io_u->error = -res;
		} else if (ddir_rw(io_u->ddir) &&
			   unlikely((unsigned long long)res != io_u->xfer_buflen)) {
			/*
			 * Short: fio requeues the rest. Longer than asked: the
			 * count cannot be trusted, and as resid it would wrap.
			 */
			if ((unsigned long long)res > io_u->xfer_buflen)
				io_u->error = EIO;
			else
				io_u->resid = io_u->xfer_buflen - res;
		}
		if (unlikely(ed->path_work) && ddir_rw(io_u->ddir)) {
			size_t len = io_u->error ? 0 : io_u->xfer_buflen - io_u->resid;
			int err = after_complete(ed, io_u, len);

			if (unlikely(err) && !io_u->error)
				io_u->error = -err;
		}
		ed->events[ed->nr_events++] = io_u;
	}
	io_uring_cq_advance(&ed->ring, seen);
}

int dmabuf_getevents(struct thread_data *td, unsigned int min, unsigned int max,
		     const struct timespec *t)
{
	struct dmabuf_engine *ed = td->io_ops_data;
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int ret;

	ed->nr_events = 0;
	/* With DEFER_TASKRUN, completions show only after an enter. */
	if (!min && (ed->ring_flags & IORING_SETUP_DEFER_TASKRUN) &&
	    !io_uring_cq_ready(&ed->ring))
		io_uring_get_events(&ed->ring);
	for (;;) {
		reap(td, ed, max);
		if (ed->nr_events >= min)
			break;
		/* reaped first: a transient error below is retried after a reap */
		if (t) {
			ts.tv_sec = t->tv_sec;
			ts.tv_nsec = t->tv_nsec;
			ret = io_uring_submit_and_wait_timeout(&ed->ring, &cqe,
							       min - ed->nr_events, &ts, NULL);
		} else {
			ret = io_uring_submit_and_wait(&ed->ring, min - ed->nr_events);
		}
		if (ed->queued)
			account_issued(td, ed);
		if (ret == -ETIME)
			break;
		if (unlikely(ret < 0 && !transient(ret))) {
			td_verror(td, -ret, "io_uring_submit_and_wait");
			return ret;
		}
	}
	/* Reissued sqes, or those a transient error left, go out now. */
	if (unlikely(ed->submit_now) && ed->queued) {
		ret = submit(td, ed, "io_uring_submit");
		if (ret)
			return ret;
	}
	return ed->nr_events;
}

struct io_u *dmabuf_event(struct thread_data *td, int event)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	return ed->events[event];
}
