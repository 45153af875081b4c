/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Buffer sources: where the memory fio carves its io_u buffers from comes
 * from. Each source lives in its own file and is one entry in source.c's
 * table; adding a source touches only that file and the table.
 */
#ifndef FIO_DMABUF_SOURCE_H
#define FIO_DMABUF_SOURCE_H

#include <stddef.h>

struct dmabuf_area;
struct dmabuf_options;

struct source_ops {
	const char *name;
	const char *help;	/* one line for the option's help text */
	/*
	 * Check the text after "NAME:" (NULL if none) while fio parses the
	 * job; log why and return non-zero if it is bad. NULL: no argument.
	 */
	int (*check_arg)(const char *arg);
	/*
	 * Map at least size bytes at area->cpu, page aligned. Returns 0 or a
	 * negative errno after logging what failed and how to fix it.
	 */
	int (*alloc)(struct dmabuf_area *area, size_t size,
		     const struct dmabuf_options *o);
	void (*free)(struct dmabuf_area *area);
};

extern const struct source_ops source_mem_ops;

/* Split "NAME[:ARG]" and find NAME. Returns NULL for an unknown name. */
const struct source_ops *source_find(const char *spec, const char **arg);
/* "mem, udmabuf, ..." for messages */
const char *source_names(void);

#endif /* FIO_DMABUF_SOURCE_H */
