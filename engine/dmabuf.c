// SPDX-License-Identifier: GPL-2.0
/*
 * fio-dmabuf: the fio glue. Hooks in the order fio calls them: init,
 * iomem_alloc, post_init, open_file, queue, commit, getevents, event,
 * close_file, iomem_free, cleanup.
 *
 * The hot path (queue, commit, getevents, event) does not allocate; every
 * per-I/O decision that does not change during a job is made at init.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "lib/roundup.h"
#include "source.h"

#ifndef FIO_DMABUF_FIO_VERSION
#error "FIO_DMABUF_FIO_VERSION (the fio this engine is built for) must be defined; build with make"
#endif

struct ioengine_ops ioengine;

static int dmabuf_init(struct thread_data *td)
{
	struct dmabuf_options *o = td->eo;
	struct dmabuf_engine *ed;
	unsigned int depth = td->o.iodepth;
	int ret;

	if (o->bad_value) {
		log_err(DMABUF_LOG_PREFIX "job %s has a bad option value (see above)\n",
			td->o.name);
		return 1;
	}
	/* The kernel SQ thread can only reach registered files. */
	if (o->sqpoll)
		o->registerfiles = 1;
	if (o->sqpoll_cpu_set && !o->sqpoll) {
		log_err(DMABUF_LOG_PREFIX "sqthread_poll_cpu needs sqthread_poll\n");
		return 1;
	}
	if (o->registerfiles && td->o.nr_files != td->o.open_files) {
		log_err(DMABUF_LOG_PREFIX "registerfiles needs openfiles equal to nrfiles (%u != %u)\n",
			td->o.open_files, td->o.nr_files);
		return 1;
	}

	ed = calloc(1, sizeof(*ed));
	if (!ed)
		return 1;
	td->io_ops_data = ed;
	ed->area.ops = source_find(o->source, &ed->area.arg);
	ed->nr_ios = depth;
	ed->events = calloc(depth, sizeof(*ed->events));
	ed->pending = calloc(depth, sizeof(*ed->pending));
	ed->ios = calloc(depth, sizeof(*ed->ios));
	if (!ed->area.ops || !ed->events || !ed->pending || !ed->ios)
		return 1;

	/* A power of two at least iodepth; the CQ is twice that, no overflow. */
	ret = ring_init(ed, roundup_pow2(depth), o);
	if (ret) {
		td_verror(td, -ret, "io_uring_queue_init");
		return 1;
	}
	ed->ring_ready = true;
	return 0;
}

static int dmabuf_iomem_alloc(struct thread_data *td, size_t size)
{
	struct dmabuf_engine *ed = td->io_ops_data;
	int ret;

	ret = ed->area.ops->alloc(&ed->area, size, td->eo);
	if (ret)
		return 1;
	ed->area_ours = true;
	td->orig_buffer = ed->area.cpu;
	return 0;
}

static void dmabuf_iomem_free(struct thread_data *td)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	if (!ed)	/* init failed */
		return;
	/* fio frees the buffers before it calls cleanup: unregister first. */
	ring_unregister_bufs(ed);
	if (ed->area_ours)
		ed->area.ops->free(&ed->area);
	ed->area_ours = false;
	td->orig_buffer = NULL;
}

static int dmabuf_post_init(struct thread_data *td)
{
	struct dmabuf_options *o = td->eo;
	struct dmabuf_engine *ed = td->io_ops_data;
	int ret;

	if (!ed->area_ours) {
		/* mem=/iomem= was given: fio allocated the buffers itself. */
		if (ed->area.ops != &source_mem_ops) {
			log_err(DMABUF_LOG_PREFIX "mem=/iomem= cannot be used with dmabuf_source=%s: the source allocates the buffers\n",
				o->source);
			return 1;
		}
		ed->area.cpu = td->orig_buffer;
		ed->area.size = td->orig_buffer_size;
	}
	if (o->registerfiles) {
		ret = ring_register_files(ed, td);
		if (ret) {
			td_verror(td, -ret, "io_uring_register_files");
			return 1;
		}
	}
	if (!td->orig_buffer)
		return 0;	/* a job without reads or writes has no buffers */
	ret = ring_register_area(ed, td);
	if (ret) {
		td_verror(td, -ret, "io_uring_register_buffers");
		return 1;
	}
	return 0;
}

/*
 * f->engine_pos is what the sqes carry: the registered index, or the fd.
 */
static int dmabuf_open_file(struct thread_data *td, struct fio_file *f)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	if (!ed || !ed->fds) {
		int ret = generic_open_file(td, f);

		f->engine_pos = f->fd;
		return ret;
	}
	f->fd = ed->fds[f->fileno];
	f->engine_pos = f->fileno;
	return 0;
}

static int dmabuf_close_file(struct thread_data *td, struct fio_file *f)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	if (!ed || !ed->fds)
		return generic_close_file(td, f);
	f->fd = -1;	/* closed at cleanup, after the ring lets go of it */
	return 0;
}

static inline void dmabuf_prep_rw(struct dmabuf_engine *ed,
				  const struct dmabuf_options *o,
				  struct io_uring_sqe *sqe, struct io_u *io_u)
{
	const struct dmabuf_io *io = &ed->ios[io_u->index];

	io_uring_prep_rw(io_u->ddir == DDIR_WRITE ? IORING_OP_WRITE_FIXED :
			 IORING_OP_READ_FIXED, sqe, io_u->file->engine_pos,
			 (void *)(uintptr_t)((uintptr_t)io_u->xfer_buf - io->bias),
			 io_u->xfer_buflen, io_u->offset);
	sqe->buf_index = io->slot;
	sqe->flags = ed->fds ? IOSQE_FIXED_FILE : 0;
	sqe->rw_flags = o->nowait ? RWF_NOWAIT : 0;
	if (o->force_async && ++ed->async_count >= o->force_async) {
		ed->async_count = 0;
		sqe->flags |= IOSQE_ASYNC;
	}
	io_uring_sqe_set_data(sqe, io_u);
}

/* fsync and trim: not on the measured path, kept simple. */
static enum fio_q_status dmabuf_queue_other(struct thread_data *td,
					    struct dmabuf_engine *ed,
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
	sqe->flags = ed->fds ? IOSQE_FIXED_FILE : 0;
	io_uring_sqe_set_data(sqe, io_u);
	ed->pending[ed->queued++] = io_u;
	return FIO_Q_QUEUED;
}

static enum fio_q_status dmabuf_queue(struct thread_data *td,
				      struct io_u *io_u)
{
	struct dmabuf_engine *ed = td->io_ops_data;
	struct io_uring_sqe *sqe;

	fio_ro_check(td, io_u);
	if (unlikely(!ddir_rw(io_u->ddir)))
		return dmabuf_queue_other(td, ed, io_u);
	sqe = io_uring_get_sqe(&ed->ring);
	if (unlikely(!sqe))
		return FIO_Q_BUSY;
	ed->ios[io_u->index].reissues = 0;
	dmabuf_prep_rw(ed, td->eo, sqe, io_u);
	ed->pending[ed->queued++] = io_u;
	return FIO_Q_QUEUED;
}

/* What fio's own commit path would do: issue time, slat, submit depth. */
static void dmabuf_mark_queued(struct thread_data *td, struct dmabuf_engine *ed)
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

static int dmabuf_commit(struct thread_data *td)
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
	dmabuf_mark_queued(td, ed);
	return 0;
}

/*
 * Reissue an I/O that completed with -EAGAIN, at most eagain_retries times.
 * Its sqe goes out with the next enter.
 */
static bool dmabuf_reissue(struct thread_data *td, struct dmabuf_engine *ed,
			   struct io_u *io_u)
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
	dmabuf_prep_rw(ed, o, sqe, io_u);
	return true;
}

static void dmabuf_reap(struct thread_data *td, struct dmabuf_engine *ed,
			unsigned int max)
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
			if (res == -EAGAIN && dmabuf_reissue(td, ed, io_u))
				continue;
			io_u->error = -res;
		} else if (ddir_rw(io_u->ddir) &&
			   (unsigned long long)res != io_u->xfer_buflen) {
			/* fio requeues the rest of a short transfer */
			io_u->resid = io_u->xfer_buflen - res;
		}
		ed->events[ed->nr_events++] = io_u;
	}
	io_uring_cq_advance(&ed->ring, seen);
}

static int dmabuf_getevents(struct thread_data *td, unsigned int min,
			    unsigned int max, const struct timespec *t)
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
		dmabuf_reap(td, ed, max);
		if (ed->nr_events >= min)
			break;
		if (t) {
			ts.tv_sec = t->tv_sec;
			ts.tv_nsec = t->tv_nsec;
			ret = io_uring_submit_and_wait_timeout(&ed->ring, &cqe,
							       min - ed->nr_events,
							       &ts, NULL);
			if (ret == -ETIME)
				break;
		} else {
			ret = io_uring_submit_and_wait(&ed->ring,
						       min - ed->nr_events);
		}
		if (unlikely(ret < 0 && !transient(ret))) {
			td_verror(td, -ret, "io_uring_submit_and_wait");
			return ret;
		}
	}
	return ed->nr_events;
}

static struct io_u *dmabuf_event(struct thread_data *td, int event)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	return ed->events[event];
}

/* One line per job on stderr, for grep: what the engine did. */
static void dmabuf_report(struct thread_data *td, struct dmabuf_engine *ed)
{
	char flags[128];

	log_err(DMABUF_LOG_PREFIX "job=%s source=%s%s path=fixed ring=%s ring_fd=%s files=%s slots=%u reg_us=%llu reissues=%llu eagain_failed=%llu submit_calls=%llu\n",
		td->o.name, ed->area.ops->name, ed->area.hugepage ? "+hugepage" : "",
		ring_flags_str(ed->ring_flags, flags, sizeof(flags)),
		ed->ring_fd_registered ? "registered" : "plain",
		ed->fds ? "registered" : "plain", ed->nr_slots,
		(unsigned long long)ed->stats.reg_ns / 1000,
		(unsigned long long)ed->stats.reissues,
		(unsigned long long)ed->stats.eagain_failed,
		(unsigned long long)ed->stats.submit_calls);
}

static void dmabuf_cleanup(struct thread_data *td)
{
	struct dmabuf_engine *ed = td->io_ops_data;
	unsigned int i;

	if (!ed)
		return;
	if (ed->ring_ready) {
		dmabuf_report(td, ed);
		ring_unregister_bufs(ed);
		ring_exit(ed);
	}
	for (i = 0; i < ed->nr_fds; i++)
		close(ed->fds[i]);
	free(ed->fds);
	free(ed->ios);
	free(ed->pending);
	free(ed->events);
	free(ed);
	td->io_ops_data = NULL;
}

/*
 * An engine built against another fio's headers can crash fio (same
 * FIO_IOOPS_VERSION, different struct layouts). Refuse to load instead:
 * fio rejects an ops table whose version it does not know.
 */
static void __attribute__((constructor)) dmabuf_check_fio(void)
{
	if (!strcmp(fio_version_string, FIO_DMABUF_FIO_VERSION))
		return;
	log_err(DMABUF_LOG_PREFIX "this dmabuf.so was built against %s but is loaded by %s; rebuild it for this fio (./configure --with-fio=DIR && make)\n",
		FIO_DMABUF_FIO_VERSION, fio_version_string);
	ioengine.version = -1;
}

struct ioengine_ops ioengine = {
	.name			= "dmabuf",
	.version		= FIO_IOOPS_VERSION,
	.flags			= FIO_RAWIO | FIO_MEMALIGN | FIO_NO_OFFLOAD |
				  FIO_ASYNCIO_SETS_ISSUE_TIME | FIO_ASYNCIO_SYNC_TRIM |
				  FIO_SKIPPABLE_IOMEM_ALLOC,
	.init			= dmabuf_init,
	.post_init		= dmabuf_post_init,
	.queue			= dmabuf_queue,
	.commit			= dmabuf_commit,
	.getevents		= dmabuf_getevents,
	.event			= dmabuf_event,
	.cleanup		= dmabuf_cleanup,
	.open_file		= dmabuf_open_file,
	.close_file		= dmabuf_close_file,
	.get_file_size		= generic_get_file_size,
	.iomem_alloc		= dmabuf_iomem_alloc,
	.iomem_free		= dmabuf_iomem_free,
	.option_struct_size	= sizeof(struct dmabuf_options),
	.options		= dmabuf_options_table,
};
