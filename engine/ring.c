// SPDX-License-Identifier: GPL-2.0
/*
 * The io_uring ring: set-up with the flags this kernel accepts, registered
 * files, and classic registered buffers over the engine's buffer area.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "engine.h"

#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN	(1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER	(1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN	(1U << 13)
#endif

/* Kernels before 6.x cap one registered iovec at 1 GiB. */
#define RING_MAX_IOVEC	(1ULL << 30)

#define TASKRUN_FLAGS	(IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | \
			 IORING_SETUP_DEFER_TASKRUN)

const char *ring_flags_str(unsigned int flags, char *buf, size_t len)
{
	static const struct {
		unsigned int flag;
		const char *name;
	} names[] = {
		{ IORING_SETUP_IOPOLL, "iopoll" },
		{ IORING_SETUP_SQPOLL, "sqpoll" },
		{ IORING_SETUP_SQ_AFF, "sq_aff" },
		{ IORING_SETUP_COOP_TASKRUN, "coop_taskrun" },
		{ IORING_SETUP_SINGLE_ISSUER, "single_issuer" },
		{ IORING_SETUP_DEFER_TASKRUN, "defer_taskrun" },
	};
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].flag) || off >= len)
			continue;
		off += snprintf(buf + off, len - off, "%s%s", off ? "," : "",
				names[i].name);
	}
	if (!off)
		snprintf(buf, len, "none");
	return buf;
}

/*
 * Ask for the task-run flags and drop them one group at a time while the
 * kernel says -EINVAL: detect, don't assume. SQPOLL takes none but
 * SINGLE_ISSUER.
 */
int ring_init(struct dmabuf_engine *ed, unsigned int depth,
	      const struct dmabuf_options *o)
{
	static const unsigned int optional[] = {
		TASKRUN_FLAGS,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	struct io_uring_params p;
	unsigned int base = 0, i;
	int ret = -EINVAL;

	if (o->hipri)
		base |= IORING_SETUP_IOPOLL;
	if (o->sqpoll) {
		base |= IORING_SETUP_SQPOLL;
		if (o->sqpoll_cpu_set)
			base |= IORING_SETUP_SQ_AFF;
	}

	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = base | optional[i];
		if (o->sqpoll)
			p.flags &= ~(TASKRUN_FLAGS & ~IORING_SETUP_SINGLE_ISSUER);
		p.sq_thread_cpu = o->sqpoll_cpu;
		ret = io_uring_queue_init_params(depth, &ed->ring, &p);
		if (ret != -EINVAL)
			break;
	}
	if (ret) {
		char flags[128];

		log_err(DMABUF_LOG_PREFIX "io_uring_queue_init(%u entries, %s): %s\n",
			depth, ring_flags_str(base, flags, sizeof(flags)),
			strerror(-ret));
		return ret;
	}
	ed->ring_flags = p.flags;
	/* Saves an fd lookup per io_uring_enter(); optional (5.18+). */
	ed->ring_fd_registered = io_uring_register_ring_fd(&ed->ring) == 1;
	return 0;
}

void ring_exit(struct dmabuf_engine *ed)
{
	io_uring_queue_exit(&ed->ring);
}

/*
 * Open every file of the job now, and register them with the ring if
 * fixed: open_file then hands out these fds. The dma-buf path needs the
 * files open before I/O, to bind its buffers to them.
 */
int ring_open_files(struct dmabuf_engine *ed, struct thread_data *td, bool fixed)
{
	struct fio_file *f;
	unsigned int i;
	int ret;

	ed->fds = calloc(td->o.nr_files, sizeof(*ed->fds));
	if (!ed->fds)
		return -ENOMEM;
	for_each_file(td, f, i) {
		ret = generic_open_file(td, f);
		if (ret) {
			log_err(DMABUF_LOG_PREFIX "cannot open %s\n", f->file_name);
			return -EIO;
		}
		ed->fds[i] = f->fd;
		ed->nr_fds = i + 1;
		f->fd = -1;
	}
	if (!fixed)
		return 0;
	ret = io_uring_register_files(&ed->ring, ed->fds, ed->nr_fds);
	if (ret) {
		log_err(DMABUF_LOG_PREFIX "io_uring_register_files(%u files): %s\n",
			ed->nr_fds, strerror(-ret));
		return ret;
	}
	ed->fixed_files = true;
	return 0;
}

void ring_close_files(struct dmabuf_engine *ed)
{
	unsigned int i;

	for (i = 0; i < ed->nr_fds; i++)
		close(ed->fds[i]);
	free(ed->fds);
	ed->fds = NULL;
	ed->nr_fds = 0;
}

/*
 * Register [base, base + size) as classic fixed buffers, laid out like the
 * area fio carves from: an io_u at area offset o is at base + o. Slots are
 * counted from the lowest io_u buffer in multiples of the largest block
 * size, so no io_u buffer straddles two.
 */
int ring_register_iovecs(struct dmabuf_engine *ed, struct thread_data *td,
			 char *base, size_t size)
{
	unsigned long long max_bs = td_max_bs(td);
	char *area = ed->area.cpu, *end = base + size, *first = end;
	uint64_t slot_size;
	struct timespec t0;
	struct iovec *iov;
	struct io_u *io_u;
	unsigned int i;
	int ret;

	if (max_bs > RING_MAX_IOVEC) {
		log_err(DMABUF_LOG_PREFIX "bs=%llu is larger than one registered buffer may be (1 GiB)\n",
			max_bs);
		return -EINVAL;
	}
	io_u_qiter(&td->io_u_all, io_u, i) {
		char *p = base + ((char *)io_u->buf - area);

		if (p < first)
			first = p;
	}
	if (first == end)
		return -EINVAL;
	slot_size = RING_MAX_IOVEC / max_bs * max_bs;
	ed->nr_slots = (end - first + slot_size - 1) / slot_size;

	iov = calloc(ed->nr_slots, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (i = 0; i < ed->nr_slots; i++) {
		iov[i].iov_base = first + i * slot_size;
		iov[i].iov_len = end - (char *)iov[i].iov_base;
		if (iov[i].iov_len > slot_size)
			iov[i].iov_len = slot_size;
	}
	io_u_qiter(&td->io_u_all, io_u, i) {
		struct dmabuf_io *io = &ed->ios[io_u->index];
		char *p = base + ((char *)io_u->buf - area);

		io->slot = (p - first) / slot_size;
		io->bias = (uintptr_t)area - (uintptr_t)base;
	}

	fio_gettime(&t0, NULL);
	ret = io_uring_register_buffers(&ed->ring, iov, ed->nr_slots);
	ed->stats.reg_ns += ntime_since_now(&t0);
	free(iov);
	if (ret) {
		log_err(DMABUF_LOG_PREFIX "io_uring_register_buffers(%u buffers): %s%s\n",
			ed->nr_slots, strerror(-ret), ret == -ENOMEM ?
			" (pinned memory counts against RLIMIT_MEMLOCK: raise it, or run as root)" :
			ret == -EFAULT ? " (memory io_uring cannot pin, e.g. a dma-buf mmap)" : "");
		return ret;
	}
	ed->bufs_registered = true;
	return 0;
}

void ring_unregister_bufs(struct dmabuf_engine *ed)
{
	if (ed->bufs_registered)
		io_uring_unregister_buffers(&ed->ring);
	ed->bufs_registered = false;
}
