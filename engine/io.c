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

static inline void sync_chunk(struct dmabuf_engine *ed, unsigned int c, uint64_t flags)
{
	export_sync(&ed->area.exp, c, flags);
	ed->stats.sync_calls++;
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
	if (ed->path == PATH_BOUNCE) {
		if (write) {
			/* the traditional route: dma-buf -> host, then write */
			if (ed->sync)
				sync_chunk(ed, io->chunk, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
			if (ed->area.shadow)
				ret = device_copy(ed, io_u, bounce, io_u->xfer_buflen, false);
			else
				memcpy(bounce, io_u->xfer_buf, io_u->xfer_buflen);
			if (ed->sync)
				sync_chunk(ed, io->chunk, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
			if (likely(!ret))
				ed->stats.bounce_bytes += io_u->xfer_buflen;
		}
	} else if (ed->sync) {
		/* direct: the device owns the dma-buf until completion */
		sync_chunk(ed, io->chunk, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	}
	return ret;
}

/*
 * After an I/O finished (not reissued): bring data back to fio's side.
 * 0, or -errno from a device copy: then the I/O has failed.
 */
static int after_complete(struct dmabuf_engine *ed, struct io_u *io_u, int res)
{
	const struct dmabuf_io *io = &ed->ios[io_u->index];
	void *bounce = (void *)(uintptr_t)((uintptr_t)io_u->xfer_buf - io->bias);
	bool read = io_u->ddir == DDIR_READ && res > 0;
	int ret = 0;

	if (ed->path == PATH_BOUNCE) {
		if (read) {
			if (ed->sync)
				sync_chunk(ed, io->chunk, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
			if (ed->area.shadow)
				ret = device_copy(ed, io_u, bounce, res, true);
			else
				memcpy(io_u->xfer_buf, bounce, res);
			if (ed->sync)
				sync_chunk(ed, io->chunk, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
			if (unlikely(ret))
				return ret;
			ed->stats.bounce_bytes += res;
		}
	} else if (ed->sync) {
		sync_chunk(ed, io->chunk, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	}
	if (ed->data_copies && read) {
		ret = device_copy(ed, io_u, io_u->xfer_buf, res, false);
		if (likely(!ret))
			ed->stats.copy_bytes += res;
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

/* What fio's own commit path would do: issue time, slat, submit depth. */
static void mark_queued(struct thread_data *td, struct dmabuf_engine *ed)
{
	if (fio_fill_issue_time(td)) {
		struct timespec now;
		unsigned int i;

		fio_gettime(&now, NULL);
		for (i = 0; i < ed->queued; i++) {
			ed->pending[i]->issue_time = now;
			io_u_queued(td, ed->pending[i]);
		}
		if (td->o.read_iolog_file)
			td->last_issue = now;
	}
	io_u_mark_submit(td, ed->queued);
	ed->queued = 0;
}

static inline bool transient(int err)
{
	return err == -EINTR || err == -EAGAIN || err == -EBUSY;
}

int dmabuf_commit(struct thread_data *td)
{
	struct dmabuf_engine *ed = td->io_ops_data;
	int ret;

	if (!ed->queued)
		return 0;
	/*
	 * A partial submit leaves the rest in the SQ ring; the next enter
	 * (commit or getevents) takes it.
	 */
	do {
		ret = io_uring_submit(&ed->ring);
		ed->stats.submit_calls++;
	} while (unlikely(ret < 0 && transient(ret)));
	if (unlikely(ret < 0)) {
		td_verror(td, -ret, "io_uring_submit");
		return ret;
	}
	mark_queued(td, ed);
	return 0;
}

/*
 * Reissue an I/O that completed with -EAGAIN, at most eagain_retries times.
 * Its sqe goes out with the next enter.
 */
static bool reissue(struct thread_data *td, struct dmabuf_engine *ed, struct io_u *io_u)
{
	const struct dmabuf_options *o = td->eo;
	struct dmabuf_io *io = &ed->ios[io_u->index];
	struct io_uring_sqe *sqe;

	if (!ddir_rw(io_u->ddir) || io->reissues >= o->eagain_retries) {
		ed->stats.eagain_failed++;
		return false;
	}
	sqe = io_uring_get_sqe(&ed->ring);
	if (!sqe) {
		io_uring_submit(&ed->ring);
		sqe = io_uring_get_sqe(&ed->ring);
		if (!sqe)
			return false;
	}
	io->reissues++;
	ed->stats.reissues++;
	prep_rw(ed, o, sqe, io_u);
	return true;
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
			   (unsigned long long)res != io_u->xfer_buflen) {
			/* fio requeues the rest of a short transfer */
			io_u->resid = io_u->xfer_buflen - res;
		}
		if (unlikely(ed->path_work) && ddir_rw(io_u->ddir)) {
			int err = after_complete(ed, io_u, res);

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
		if (t) {
			ts.tv_sec = t->tv_sec;
			ts.tv_nsec = t->tv_nsec;
			ret = io_uring_submit_and_wait_timeout(&ed->ring, &cqe,
							       min - ed->nr_events, &ts, NULL);
			if (ret == -ETIME)
				break;
		} else {
			ret = io_uring_submit_and_wait(&ed->ring, min - ed->nr_events);
		}
		if (unlikely(ret < 0 && !transient(ret))) {
			td_verror(td, -ret, "io_uring_submit_and_wait");
			return ret;
		}
	}
	return ed->nr_events;
}

struct io_u *dmabuf_event(struct thread_data *td, int event)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	return ed->events[event];
}
