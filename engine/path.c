// SPDX-License-Identifier: GPL-2.0
/*
 * The three ways I/O reaches the buffers, set up once per job:
 *
 *   direct  the kernel's dma-buf registered buffers: one slot per (file,
 *           dma-buf), bound to the file; sqe->addr is the dma-buf offset
 *   mapped  the same pages registered as classic fixed buffers
 *   bounce  I/O into registered host memory, copied to/from the dma-buf
 *
 * and auto, which takes the first of them this kernel, file and source
 * allow, and says why.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>

#include "dmabuf_uapi.h"
#include "engine.h"
#include "regbuf.h"
#include "verify.h"
#include "source.h"

/* What the warm-up reads: a multiple of every logical block size. */
#define WARM_LEN	4096

_Static_assert((int)PATH_DIRECT == (int)EXP_PATH_DIRECT && (int)PATH_MAPPED == (int)EXP_PATH_MAPPED &&
	       (int)PATH_BOUNCE == (int)EXP_PATH_BOUNCE,
	       "exporter.h's enum exp_path follows enum dmabuf_path");

int path_check(struct thread_data *td, const struct source_ops *src)
{
	const struct dmabuf_options *o = td->eo;
	const struct exporter *e = src->exp;
	const char *path = path_name(o->path);
	const char *why = o->path == PATH_AUTO ? NULL : exp_path_refusal(e, o->path);

	if (why) {
		if (e)
			log_err(DMABUF_LOG_PREFIX "dmabuf_path=%s: %s %s\n", path, src->name, why);
		else
			log_err(DMABUF_LOG_PREFIX "dmabuf_path=%s %s\n", path, why);
		return 1;
	}
	if (o->path == PATH_DIRECT && !td->o.odirect) {
		log_err(DMABUF_LOG_PREFIX "dmabuf_path=direct needs direct=1: the kernel takes dma-buf buffers only on block devices opened O_DIRECT\n");
		return 1;
	}
	if (o->path == PATH_DIRECT && td->o.nr_files != td->o.open_files) {
		log_err(DMABUF_LOG_PREFIX "dmabuf_path=direct binds buffers to open files: openfiles must equal nrfiles (%u != %u)\n",
			td->o.open_files, td->o.nr_files);
		return 1;
	}
	return 0;
}

/* DMA_BUF_IOCTL_SYNC on every dma-buf, counted. */
static void sync_all(struct dmabuf_engine *ed, uint64_t flags)
{
	unsigned int c;

	for (c = 0; c < ed->area.exp.nr_chunks; c++) {
		export_sync(&ed->area.exp, c, flags);
		ed->stats.sync_calls++;
	}
}

/*
 * The first I/O on a dma-buf slot makes the kernel build its DMA map (via
 * io-wq): do it now, for every file and dma-buf, so fio does not time it.
 * A 4 KiB read at offset 0; the bytes it overwrites are put back.
 */
static int direct_warm(struct thread_data *td, struct dmabuf_engine *ed)
{
	const struct dmabuf_options *o = td->eo;
	struct dmabuf_export *x = &ed->area.exp;
	char saved[WARM_LEN];
	struct timespec t0;
	unsigned int f, c, tries;
	int ret = 0;

	fio_gettime(&t0, NULL);
	for (f = 0; f < ed->nr_fds && !ret; f++) {
		for (c = 0; c < x->nr_chunks && !ret; c++) {
			char *cpu = x->cpu ? (char *)x->cpu + (size_t)c * x->chunk_size : NULL;
			struct io_uring_cqe *cqe;

			if (cpu)
				memcpy(saved, cpu, WARM_LEN);
			for (tries = 0;; tries++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ed->ring);

				io_uring_prep_read_fixed(sqe, ed->fixed_files ? (int)f : ed->fds[f],
							 NULL, WARM_LEN, 0, f * ed->slot_stride + c);
				if (ed->fixed_files)
					sqe->flags |= IOSQE_FIXED_FILE;
				io_uring_sqe_set_data(sqe, NULL);
				ret = io_uring_submit_and_wait(&ed->ring, 1);
				if (ret >= 0)
					ret = io_uring_wait_cqe(&ed->ring, &cqe);
				if (ret < 0)
					break;
				ret = cqe->res;
				io_uring_cqe_seen(&ed->ring, cqe);
				if (ret != -EAGAIN || tries >= o->eagain_retries)
					break;
				ed->stats.reissues++;
			}
			if (ret < 0) {
				log_err(DMABUF_LOG_PREFIX "the first read into dma-buf %u on %s failed: %s (the kernel could not map the dma-buf for the device)\n",
					c, td->files[f]->file_name, strerror(-ret));
				break;
			}
			ret = 0;
			if (cpu)
				memcpy(cpu, saved, WARM_LEN);
		}
	}
	ed->stats.warm_ns += ntime_since_now(&t0);
	return ret;
}

/*
 * Register every dma-buf once per file, in slot file * nr_chunks + chunk.
 * Returns 0, -ENOTSUP with *why set where auto may fall back (no kernel
 * API, a file that cannot take dma-bufs), or another error, logged.
 */
static int direct_setup(struct thread_data *td, struct dmabuf_engine *ed,
			char *why, size_t why_len)
{
	const struct dmabuf_options *o = td->eo;
	struct dmabuf_export *x = &ed->area.exp;
	struct timespec t0;
	struct io_u *io_u;
	unsigned int i;
	int *fds, ret;

	/* up to one per io_u: set-up, not the stack's business */
	fds = calloc(x->nr_chunks, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (i = 0; i < x->nr_chunks; i++)
		fds[i] = x->chunks[i].fd;
	ed->slot_stride = x->nr_chunks;
	ed->nr_slots = ed->nr_fds * x->nr_chunks;
	ret = io_uring_register_buffers_sparse(&ed->ring, ed->nr_slots);
	if (ret) {
		log_err(DMABUF_LOG_PREFIX "a sparse table of %u buffers: %s\n", ed->nr_slots,
			strerror(-ret));
		goto out;
	}
	ed->bufs_registered = true;
	ret = regbuf_probe(&ed->ring, 0);
	if (ret == 0) {
		regbuf_no_api_msg(why, why_len);
		ret = -ENOTSUP;
		goto out;
	}
	if (ret < 0) {
		log_err(DMABUF_LOG_PREFIX "probing the io_uring dma-buf API: %s\n", strerror(-ret));
		goto out;
	}

	fio_gettime(&t0, NULL);
	for (i = 0; i < ed->nr_fds; i++) {
		ret = regbuf_register(&ed->ring, i * x->nr_chunks, fds, x->nr_chunks,
				      ed->fds[i]);
		if (ret) {
			regbuf_explain(ret, ed->fds[i], td->files[i]->file_name,
				       o->hipri, why, why_len);
			if (ret == -EOPNOTSUPP || ret == -EINVAL)
				ret = -ENOTSUP;
			goto out;
		}
	}
	ed->stats.reg_ns += ntime_since_now(&t0);

	/* io->chunk is set: check_chunks() ran */
	io_u_qiter(&td->io_u_all, io_u, i) {
		struct dmabuf_io *io = &ed->ios[io_u->index];

		io->slot = io->chunk;
		io->bias = (uintptr_t)ed->area.cpu + (uint64_t)io->chunk * x->chunk_size;
	}
	ret = o->warm ? direct_warm(td, ed) : 0;
out:
	free(fds);
	return ret;
}

static int bounce_setup(struct thread_data *td, struct dmabuf_engine *ed)
{
	struct dmabuf_export *x = &ed->area.exp;

	ed->bounce = mmap(NULL, ed->area.size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ed->bounce == MAP_FAILED) {
		ed->bounce = NULL;
		log_err(DMABUF_LOG_PREFIX "bounce buffer of %zu bytes: %s\n", ed->area.size,
			strerror(errno));
		return -ENOMEM;
	}
	/* A GPU stack stages I/O in pinned host memory: so does this baseline. */
	if (x->exp->host_pin) {
		int ret = x->exp->host_pin(x, ed->bounce, ed->area.size);

		if (ret) {
			log_err(DMABUF_LOG_PREFIX "%s\n", x->err);
			return ret;
		}
		ed->bounce_pinned = true;
	}
	return ring_register_iovecs(ed, td, ed->bounce, ed->area.size);
}

/*
 * Does fio's CPU read or write the I/O buffers during the job? Verify
 * (writes the pattern, checks reads), and refilled or scrambled write
 * buffers (fio's TD_F_* decisions, made before the engine's post_init).
 */
static bool cpu_touches_data(const struct thread_data *td)
{
	if (td->flags & TD_F_DO_VERIFY)
		return true;
	return td_write(td) &&
	       (td->flags & (TD_F_REFILL_BUFFERS | TD_F_SCRAMBLE_BUFFERS | TD_F_COMPRESS));
}

/*
 * Per-I/O syncs where the CPU touches a dma-buf during the job: the bounce
 * copies always, fio's buffer fill and verify where the job has them, or
 * every I/O with dmabuf_sync=always. The mapped path registers the same
 * pages as plain memory and syncs nothing, so the arms compare like with
 * like. The protocol is in io.c.
 */
static bool sync_per_io(const struct thread_data *td, const struct dmabuf_options *o,
			const struct exporter *e, enum dmabuf_path path)
{
	if (o->sync == SYNC_NEVER || !(e->caps & EXP_CPU_MAP) || path == PATH_MAPPED)
		return false;
	return path == PATH_BOUNCE || o->sync == SYNC_ALWAYS || cpu_touches_data(td);
}

/*
 * The largest dma-buf the engine asks the source for (iomem_alloc, before
 * the path is chosen): where the I/O path will sync per I/O, one I/O
 * buffer (unit bytes) each, so that the device owning one I/O's dma-buf
 * never covers a buffer fio is filling or checking (io.c); else 0, the
 * user's dmabuf_chunk_max. auto is judged by its first choice, direct
 * (with a source mapped can not serve, its fallback is bounce).
 */
size_t path_chunk_max(const struct thread_data *td, const struct exporter *e,
		      size_t unit)
{
	const struct dmabuf_options *o = td->eo;
	enum dmabuf_path path = o->path;

	if (!e)
		return 0;
	if (path == PATH_AUTO)
		path = (e->caps & EXP_HOST_PAGES) ? PATH_DIRECT : PATH_BOUNCE;
	return sync_per_io(td, o, e, path) ? unit : 0;
}

/*
 * Which dma-buf each io_u is in, for slots, syncs and device copies; and
 * the one check every path shares: no io_u buffer may straddle two (the
 * slot, the sync and the device copy are each one dma-buf's).
 */
static int check_chunks(struct thread_data *td, struct dmabuf_engine *ed)
{
	unsigned long long max_bs = td_max_bs(td);
	size_t chunk = ed->area.exp.chunk_size;
	struct io_u *io_u;
	unsigned int i;

	io_u_qiter(&td->io_u_all, io_u, i) {
		size_t off = (char *)io_u->buf - (char *)ed->area.cpu;
		unsigned int c = off / chunk;

		if ((off + max_bs - 1) / chunk != c) {
			log_err(DMABUF_LOG_PREFIX "job %s: an I/O buffer of bs=%llu at offset %zu straddles dma-bufs %u and %u of %zu bytes each (iomem_align=%u): leave iomem_align at 0, or make it a multiple of %zu\n",
				td->o.name, max_bs, off, c, c + 1, chunk, td->o.mem_align,
				chunk);
			return -EINVAL;
		}
		ed->ios[io_u->index].chunk = c;
	}
	return 0;
}

int path_setup(struct thread_data *td, struct dmabuf_engine *ed)
{
	const struct dmabuf_options *o = td->eo;
	const struct exporter *e = ed->area.exp.exp;
	enum dmabuf_path want = o->path;
	char *why = ed->path_why;
	size_t why_len = sizeof(ed->path_why);
	int ret;

	if (!e)
		want = PATH_MAPPED;
	else if (check_chunks(td, ed))
		return -EINVAL;
	/* auto tries direct only where it can work at all */
	if (want == PATH_AUTO && (!td->o.odirect || td->o.nr_files != td->o.open_files)) {
		snprintf(why, why_len, "%s", !td->o.odirect ?
			 "direct needs direct=1" : "direct needs openfiles equal to nrfiles");
		want = exp_path_refusal(e, PATH_MAPPED) ? PATH_BOUNCE : PATH_MAPPED;
	}
	if (want == PATH_DIRECT || want == PATH_AUTO || o->registerfiles) {
		ret = ring_open_files(ed, td, o->registerfiles);
		if (ret)
			return ret;
	}

	if (want == PATH_DIRECT || want == PATH_AUTO) {
		ret = direct_setup(td, ed, why, why_len);
		if (!ret) {
			want = PATH_DIRECT;
		} else if (ret == -ENOTSUP && want == PATH_AUTO) {
			ring_unregister_bufs(ed);
			ed->slot_stride = 0;
			want = exp_path_refusal(e, PATH_MAPPED) ? PATH_BOUNCE : PATH_MAPPED;
		} else {
			if (ret == -ENOTSUP)
				log_err(DMABUF_LOG_PREFIX "%s\n", why);
			return ret;
		}
	}
	if (want == PATH_MAPPED)
		ret = ring_register_iovecs(ed, td, ed->area.cpu, ed->area.size);
	else if (want == PATH_BOUNCE)
		ret = bounce_setup(td, ed);
	if (ret)
		return ret;

	ed->path = want;
	if (e) {
		ed->sync = sync_per_io(td, o, e, want);
		ed->data_copies = ed->area.shadow && td->o.verify != VERIFY_NONE;
		ed->path_work = ed->sync || ed->data_copies || want == PATH_BOUNCE;
		/*
		 * Per-I/O syncing: the CPU owns every dma-buf with no I/O in
		 * flight (io.c), so it takes them all now. Without it, the device
		 * owns a direct dma-buf for the whole job.
		 */
		if (ed->sync) {
			ed->busy = calloc(ed->area.exp.nr_chunks, sizeof(*ed->busy));
			if (!ed->busy)
				return -ENOMEM;
			sync_all(ed, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			ed->cpu_holds = true;
		} else if (o->sync != SYNC_NEVER && (e->caps & EXP_CPU_MAP) &&
			   want == PATH_DIRECT) {
			sync_all(ed, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			sync_all(ed, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		}
	}
	if (o->path == PATH_AUTO && e)
		log_err(DMABUF_LOG_PREFIX "job %s: dmabuf_path=auto chose %s%s%s\n", td->o.name,
			path_name(want), why[0] ? ": " : "", why);
	return 0;
}

void path_teardown(struct dmabuf_engine *ed)
{
	/* runs twice (iomem_free, cleanup): the dma-bufs may be gone by then */
	if (ed->cpu_holds) {
		unsigned int c;

		/* hand back what the CPU holds: a chunk with I/O in flight is the device's */
		for (c = 0; c < ed->area.exp.nr_chunks; c++) {
			if (ed->busy && ed->busy[c])
				continue;
			export_sync(&ed->area.exp, c, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			ed->stats.sync_calls++;
		}
	}
	ed->cpu_holds = false;
	free(ed->busy);
	ed->busy = NULL;
	ring_unregister_bufs(ed);
	if (ed->bounce_pinned)
		ed->area.exp.exp->host_unpin(&ed->area.exp, ed->bounce);
	ed->bounce_pinned = false;
	if (ed->bounce)
		munmap(ed->bounce, ed->area.size);
	ed->bounce = NULL;
}
