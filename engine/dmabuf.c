// SPDX-License-Identifier: GPL-2.0
/*
 * fio-dmabuf: the fio glue. Set-up and teardown hooks in the order fio
 * calls them: init, iomem_alloc, post_init, open_file, (the hot path in
 * io.c), close_file, iomem_free, cleanup.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
	const struct source_ops *src;
	struct dmabuf_engine *ed;
	unsigned int depth = td->o.iodepth;
	const char *arg;
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
	src = source_find(o->source, &arg);
	if (!src || path_check(td, src))
		return 1;

	ed = calloc(1, sizeof(*ed));
	if (!ed)
		return 1;
	td->io_ops_data = ed;
	ed->area.ops = src;
	ed->area.arg = arg;
	ed->nr_ios = depth;
	ed->events = calloc(depth, sizeof(*ed->events));
	ed->pending = calloc(depth, sizeof(*ed->pending));
	ed->ios = calloc(depth, sizeof(*ed->ios));
	if (!ed->events || !ed->pending || !ed->ios)
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

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int dmabuf_iomem_alloc(struct thread_data *td, size_t size)
{
	struct dmabuf_engine *ed = td->io_ops_data;
	size_t max_bs = td_max_bs(td), unit;

	/* dma-bufs are whole pages and hold whole io_u buffers */
	unit = max_bs / gcd(max_bs, page_size) * page_size;
	ed->area.chunk_max = path_chunk_max(td, ed->area.ops->exp, unit);
	if (ed->area.ops->alloc(&ed->area, size, unit, td->eo))
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
	/* fio frees the buffers before it calls cleanup: let go of them first */
	path_teardown(ed);
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
	if (!td->orig_buffer) {
		/* a job without reads or writes has no buffers */
		if (o->registerfiles && ring_open_files(ed, td, true))
			return 1;
		return 0;
	}
	ret = path_setup(td, ed);
	if (ret) {
		td_verror(td, ret < 0 ? -ret : EINVAL, "dmabuf set-up");
		return 1;
	}
	return 0;
}

/* f->engine_pos is what the sqes carry: the registered index, or the fd. */
static int dmabuf_open_file(struct thread_data *td, struct fio_file *f)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	if (!ed || !ed->fds) {
		int ret = generic_open_file(td, f);

		f->engine_pos = f->fd;
		return ret;
	}
	f->fd = ed->fds[f->fileno];
	f->engine_pos = ed->fixed_files ? (uint64_t)f->fileno : (uint64_t)f->fd;
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

static void dmabuf_cleanup(struct thread_data *td)
{
	struct dmabuf_engine *ed = td->io_ops_data;

	if (!ed)
		return;
	if (ed->ring_ready) {
		report_job(td, ed);
		path_teardown(ed);
		ring_exit(ed);
	}
	ring_close_files(ed);
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
