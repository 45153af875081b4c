// SPDX-License-Identifier: GPL-2.0
/*
 * Every dma-buf exporter as a buffer source: fio carves its buffers from
 * the dma-bufs' CPU view, or, for device memory the CPU cannot map, from a
 * host shadow that the engine keeps in step when fio checks data.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "dmabuf_uapi.h"
#include "engine.h"
#include "source.h"

static int dmabuf_check_arg(const struct source_ops *src, const char *arg)
{
	struct dmabuf_export x;

	if (!src->exp->check_arg)
		return 0;
	memset(&x, 0, sizeof(x));
	x.exp = src->exp;
	x.arg = arg;
	if (!src->exp->check_arg(&x))
		return 0;
	log_err(DMABUF_LOG_PREFIX "%s\n", x.err);
	return 1;
}

static int dmabuf_alloc(struct dmabuf_area *area, size_t size, size_t unit,
			const struct dmabuf_options *o)
{
	struct dmabuf_export *x = &area->exp;
	size_t chunk_max = o->chunk_max;
	int ret;

	/* the engine may want smaller dma-bufs than the user allows (io.c) */
	if (area->chunk_max && area->chunk_max < chunk_max)
		chunk_max = area->chunk_max;
	ret = export_alloc(x, area->ops->exp, area->arg, size, unit,
			   chunk_max, o->hugepage);
	if (ret) {
		log_err(DMABUF_LOG_PREFIX "%s\n", x->err);
		export_free(x);
		return ret;
	}
	area->size = x->size;
	area->hugepage = o->hugepage;
	if (x->cpu) {
		area->cpu = x->cpu;
		return 0;
	}
	/* Device memory: fio's buffers are a host shadow of it. */
	area->cpu = mmap(NULL, x->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area->cpu == MAP_FAILED) {
		ret = -errno;
		area->cpu = NULL;
		log_err(DMABUF_LOG_PREFIX "host shadow of %zu bytes: %s\n", x->size,
			strerror(errno));
		export_free(x);
		return ret;
	}
	area->shadow = true;
	return 0;
}

static void dmabuf_free(struct dmabuf_area *area)
{
	if (area->shadow)
		munmap(area->cpu, area->size);
	area->shadow = false;
	area->cpu = NULL;
	export_free(&area->exp);
}

#define DMABUF_SOURCE(ename)				\
const struct source_ops source_##ename##_ops = {	\
	.name		= #ename,			\
	.exp		= &exp_##ename,			\
	.check_arg	= dmabuf_check_arg,		\
	.alloc		= dmabuf_alloc,			\
	.free		= dmabuf_free,			\
}

DMABUF_SOURCE(udmabuf);
DMABUF_SOURCE(heap);
DMABUF_SOURCE(drm);
DMABUF_SOURCE(cuda);
