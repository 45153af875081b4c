// SPDX-License-Identifier: GPL-2.0
/*
 * Source "mem": anonymous host memory, optionally huge pages. The baseline
 * every dma-buf source is measured against.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "engine.h"
#include "source.h"

/* The default huge page size, from /proc/meminfo; 0 if none. */
static size_t hugepage_size(void)
{
	char line[128];
	size_t kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Hugepagesize: %zu kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib * 1024;
}

static int mem_alloc(struct dmabuf_area *area, size_t size, size_t unit,
		     const struct dmabuf_options *o)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	size_t align = page_size;
	void *p;

	(void)unit;	/* one registration covers it all */
	if (o->hugepage) {
		align = hugepage_size();
		if (!align) {
			log_err(DMABUF_LOG_PREFIX "hugepage=1: this kernel has no huge pages (no Hugepagesize in /proc/meminfo)\n");
			return -EOPNOTSUPP;
		}
		flags |= MAP_HUGETLB;
	}
	size = (size + align - 1) & ~(align - 1);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		if (o->hugepage)
			log_err(DMABUF_LOG_PREFIX "hugepage=1: mmap of %zu bytes of %zu KiB huge pages failed: %s; reserve them first, e.g. echo %zu > /proc/sys/vm/nr_hugepages\n",
				size, align >> 10, strerror(err), size / align);
		else
			log_err(DMABUF_LOG_PREFIX "mmap of %zu bytes failed: %s\n",
				size, strerror(err));
		return -err;
	}
	area->cpu = p;
	area->size = size;
	area->hugepage = o->hugepage;
	return 0;
}

static void mem_free(struct dmabuf_area *area)
{
	munmap(area->cpu, area->size);
}

const struct source_ops source_mem_ops = {
	.name	= "mem",
	.alloc	= mem_alloc,
	.free	= mem_free,
};
