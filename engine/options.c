// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's options, listed by fio --enghelp. Names follow fio's own
 * io_uring engine where they mean the same thing. Values are checked while
 * fio parses them, so a bad job fails before any I/O (and under
 * --parse-only).
 */
#include <unistd.h>

#include "engine.h"
#include "optgroup.h"
#include "source.h"

static int source_cb(void *data, const char *str)
{
	const char *arg;

	const struct source_ops *ops = source_find(str, &arg);

	(void)data;
	if (!ops) {
		log_err(DMABUF_LOG_PREFIX "unknown dmabuf_source '%s' (this build has: %s)\n",
			str, source_names());
		return 1;
	}
	if (ops->check_arg)
		return ops->check_arg(ops, arg);
	if (arg) {
		log_err(DMABUF_LOG_PREFIX "dmabuf_source=%s takes no argument (got '%s')\n",
			ops->name, str);
		return 1;
	}
	return 0;
}

/*
 * fio checks no minimum of 0, and it parses "-1" as a range: a failing ""
 * then a good "1". So a failure is remembered and dmabuf_init() fails.
 */
static int count_cb(struct dmabuf_options *o, const char *name,
		    unsigned long long val, unsigned int *dst)
{
	if (val > DMABUF_MAX_COUNT) {
		log_err(DMABUF_LOG_PREFIX "%s: must be 0..%u\n", name,
			DMABUF_MAX_COUNT);
		o->bad_value = 1;
		return 1;
	}
	*dst = val;
	return 0;
}

static int force_async_cb(void *data, unsigned long long *val)
{
	struct dmabuf_options *o = data;

	return count_cb(o, "force_async", *val, &o->force_async);
}

static int eagain_retries_cb(void *data, unsigned long long *val)
{
	struct dmabuf_options *o = data;

	return count_cb(o, "eagain_retries", *val, &o->eagain_retries);
}

static int sqpoll_cpu_cb(void *data, unsigned long long *val)
{
	struct dmabuf_options *o = data;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (ncpu > 0 && *val >= (unsigned long long)ncpu) {
		log_err(DMABUF_LOG_PREFIX "sqthread_poll_cpu=%llu: this machine has CPUs 0-%ld\n",
			*val, ncpu - 1);
		return 1;
	}
	o->sqpoll_cpu = *val;
	o->sqpoll_cpu_set = 1;
	return 0;
}

struct fio_option dmabuf_options_table[] = {
	{
		.name	= "dmabuf_source",
		.lname	= "Buffer source",
		.type	= FIO_OPT_STR_STORE,
		.off1	= offsetof(struct dmabuf_options, source),
		.cb	= source_cb,
		.def	= "mem",
		.help	= "Where I/O buffers come from: mem (host memory), udmabuf, heap[:NAME] (/dev/dma_heap, default system), drm[:/dev/dri/cardN] (dumb buffer, e.g. vgem), cuda[:DEV] (GPU memory)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "dmabuf_path",
		.lname	= "dma-buf I/O path",
		.type	= FIO_OPT_STR,
		.off1	= offsetof(struct dmabuf_options, path),
		.def	= "auto",
		.help	= "How I/O reaches the buffers",
		.posval	= {
			{ .ival = "auto", .oval = PATH_AUTO,
			  .help = "direct where the kernel and file allow it, else mapped, else bounce" },
			{ .ival = "direct", .oval = PATH_DIRECT,
			  .help = "io_uring dma-buf registered buffers (the io_uring dma-buf series)" },
			{ .ival = "mapped", .oval = PATH_MAPPED,
			  .help = "the same pages as classic registered buffers (mem, udmabuf)" },
			{ .ival = "bounce", .oval = PATH_BOUNCE,
			  .help = "I/O into registered host memory, copied to/from the dma-buf" },
		},
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "dmabuf_sync",
		.lname	= "DMA_BUF_IOCTL_SYNC",
		.type	= FIO_OPT_STR,
		.off1	= offsetof(struct dmabuf_options, sync),
		.def	= "auto",
		.help	= "When DMA_BUF_IOCTL_SYNC brackets CPU access to dma-bufs (see README for the risk of never)",
		.posval	= {
			{ .ival = "auto", .oval = SYNC_AUTO,
			  .help = "per I/O only where the CPU touches the data: bounce copies, verify, refilled or scrambled write buffers" },
			{ .ival = "always", .oval = SYNC_ALWAYS,
			  .help = "per I/O on every path with a CPU view, to measure what syncing costs" },
			{ .ival = "1", .oval = SYNC_ALWAYS, .help = "the same as always" },
			{ .ival = "never", .oval = SYNC_NEVER,
			  .help = "no syncs (safe only where DMA is cache-coherent)" },
			{ .ival = "0", .oval = SYNC_NEVER, .help = "the same as never" },
		},
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "dmabuf_warm",
		.lname	= "Warm dma-buf maps",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct dmabuf_options, warm),
		.def	= "1",
		.help	= "Do one read per file and dma-buf before timing, so the kernel builds its DMA maps outside the measurement",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "dmabuf_chunk_max",
		.lname	= "Largest dma-buf",
		.type	= FIO_OPT_STR_VAL,
		.off1	= offsetof(struct dmabuf_options, chunk_max),
		.minval	= 4096,
		.def	= "1g",
		.help	= "Split the buffers into dma-bufs of at most this size (the series takes 1 GiB up to v5)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "dmabuf_stats_file",
		.lname	= "Engine counters file",
		.type	= FIO_OPT_STR_STORE,
		.off1	= offsetof(struct dmabuf_options, stats_file),
		.help	= "Append each job's engine counters to this file, one JSON object per line",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "hugepage",
		.lname	= "Huge pages",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct dmabuf_options, hugepage),
		.def	= "0",
		.help	= "Back the buffers with huge pages (reserve them in /proc/sys/vm/nr_hugepages)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "hipri",
		.lname	= "High priority (polled I/O)",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct dmabuf_options, hipri),
		.help	= "Use polled I/O completions (IORING_SETUP_IOPOLL)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "sqthread_poll",
		.lname	= "Kernel SQ thread polling",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct dmabuf_options, sqpoll),
		.help	= "Offload submission to a kernel thread (IORING_SETUP_SQPOLL); implies registerfiles",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "sqthread_poll_cpu",
		.lname	= "SQ thread poll CPU",
		.type	= FIO_OPT_INT,
		.cb	= sqpoll_cpu_cb,
		.minval	= 0,
		.help	= "CPU the SQ polling thread is bound to (with sqthread_poll)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "registerfiles",
		.lname	= "Register file set",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct dmabuf_options, registerfiles),
		.help	= "Register the job's files with the ring (IOSQE_FIXED_FILE)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "nowait",
		.lname	= "RWF_NOWAIT",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct dmabuf_options, nowait),
		.def	= "0",
		.help	= "Issue reads and writes with RWF_NOWAIT (-EAGAIN is reissued, see eagain_retries)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "force_async",
		.lname	= "Force async",
		.type	= FIO_OPT_INT,
		.off1	= offsetof(struct dmabuf_options, force_async),
		.cb	= force_async_cb,
		.def	= "0",
		.help	= "Set IOSQE_ASYNC on every Nth request (0: never)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "eagain_retries",
		.lname	= "-EAGAIN reissue limit",
		.type	= FIO_OPT_INT,
		.off1	= offsetof(struct dmabuf_options, eagain_retries),
		.cb	= eagain_retries_cb,
		.def	= "16",
		.help	= "Reissue an I/O that completes with -EAGAIN at most this many times, then fail it",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= NULL,
	},
};
