/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Buffer sources: where the memory fio carves its io_u buffers from comes
 * from. "mem" is host memory (source_mem.c); every dma-buf exporter is a
 * source through source_dmabuf.c. One table entry each, in source.c.
 */
#ifndef FIO_DMABUF_SOURCE_H
#define FIO_DMABUF_SOURCE_H

#include <stddef.h>

struct dmabuf_area;
struct dmabuf_options;
struct exporter;

struct source_ops {
	const char *name;
	const struct exporter *exp;	/* NULL: not a dma-buf source */
	/*
	 * Check the text after "NAME:" (NULL if none) while fio parses the
	 * job; log why and return non-zero if it is bad.
	 */
	int (*check_arg)(const struct source_ops *src, const char *arg);
	/*
	 * Map at least size bytes at area->cpu, page aligned, in dma-bufs
	 * whose sizes are multiples of unit (so no io_u buffer straddles
	 * two). Returns 0 or a negative errno after logging the cause and
	 * the fix.
	 */
	int (*alloc)(struct dmabuf_area *area, size_t size, size_t unit,
		     const struct dmabuf_options *o);
	void (*free)(struct dmabuf_area *area);
};

extern const struct source_ops source_mem_ops;
extern const struct source_ops source_udmabuf_ops, source_heap_ops,
	source_drm_ops, source_cuda_ops;

/* Split "NAME[:ARG]" and find NAME. Returns NULL for an unknown name. */
const struct source_ops *source_find(const char *spec, const char **arg);
/* "mem, udmabuf, ..." for messages */
const char *source_names(void);

#endif /* FIO_DMABUF_SOURCE_H */
