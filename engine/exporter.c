// SPDX-License-Identifier: GPL-2.0
/*
 * Chunking, and the helpers every CPU-mappable
 * exporter shares: one contiguous mapping of all chunks, and the sync ioctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>

#include "exporter.h"

bool spec_names(const char *spec, const char *name, const char **arg)
{
	size_t len = strcspn(spec, ":");

	if (strlen(name) != len || strncmp(name, spec, len))
		return false;
	*arg = spec[len] == ':' ? spec + len + 1 : NULL;
	return true;
}

int export_alloc(struct dmabuf_export *x, const struct exporter *e,
		 const char *arg, size_t size, size_t unit, size_t chunk_max,
		 bool hugepage)
{
	size_t limit = e->max_size ? e->max_size(arg) : 0;
	unsigned int i;
	int ret;

	memset(x, 0, sizeof(*x));
	x->exp = e;
	x->arg = arg;
	x->hugepage = hugepage;
	if (e->check_arg) {
		ret = e->check_arg(x);
		if (ret)
			return ret;
	}
	if (limit && limit < chunk_max) {
		chunk_max = limit;
		if (chunk_max < unit) {
			snprintf(x->err, sizeof(x->err),
				 "%s: one dma-buf may be at most %zu bytes here, less than one I/O buffer (%zu bytes)%s",
				 e->name, chunk_max, unit, e == &exp_udmabuf ?
				 "; raise udmabuf.size_limit_mb (kernel command line or /sys/module/udmabuf/parameters/size_limit_mb)" : "");
			return -EINVAL;
		}
	}
	if (chunk_max < unit) {
		snprintf(x->err, sizeof(x->err),
			 "dmabuf_chunk_max=%zu is less than one I/O buffer (%zu bytes): raise it",
			 chunk_max, unit);
		return -EINVAL;
	}
	x->size = (size + unit - 1) / unit * unit;
	x->chunk_size = chunk_max / unit * unit;
	if (x->chunk_size > x->size)
		x->chunk_size = x->size;
	x->nr_chunks = (x->size + x->chunk_size - 1) / x->chunk_size;
	x->chunks = calloc(x->nr_chunks, sizeof(*x->chunks));
	if (!x->chunks) {
		snprintf(x->err, sizeof(x->err), "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < x->nr_chunks; i++) {
		x->chunks[i].fd = -1;
		x->chunks[i].size = x->chunk_size;
	}
	x->chunks[x->nr_chunks - 1].size = x->size - (size_t)(x->nr_chunks - 1) * x->chunk_size;
	ret = e->alloc(x);
	if (ret && !x->err[0])
		snprintf(x->err, sizeof(x->err), "%s: allocating %zu bytes failed: %s",
			 e->name, x->size, strerror(-ret));
	return ret;
}

void export_free(struct dmabuf_export *x)
{
	if (!x->exp)
		return;
	if (x->chunks) {
		unsigned int i;

		x->exp->free(x);
		for (i = 0; i < x->nr_chunks; i++) {
			if (x->chunks[i].fd >= 0)
				close(x->chunks[i].fd);
		}
	}
	free(x->chunks);
	x->chunks = NULL;
	x->exp = NULL;
}

int export_map_chunks(struct dmabuf_export *x)
{
	unsigned int i;
	char *base;

	/* Reserve the range first, then put each chunk in its place. */
	base = mmap(NULL, x->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		int err = errno;	/* snprintf may change errno */

		snprintf(x->err, sizeof(x->err), "%s: reserving %zu bytes of address space: %s",
			 x->exp->name, x->size, strerror(err));
		return -err;
	}
	x->cpu = base;
	for (i = 0; i < x->nr_chunks; i++) {
		void *p = mmap(base + (size_t)i * x->chunk_size, x->chunks[i].size,
			       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			       x->chunks[i].fd, 0);

		if (p == MAP_FAILED) {
			int err = errno;

			snprintf(x->err, sizeof(x->err), "%s: mmap of dma-buf %u (%zu bytes): %s",
				 x->exp->name, i, x->chunks[i].size, strerror(err));
			return -err;
		}
	}
	return 0;
}

void export_unmap_chunks(struct dmabuf_export *x)
{
	if (x->cpu)
		munmap(x->cpu, x->size);
	x->cpu = NULL;
}

int export_sync(const struct dmabuf_export *x, unsigned int c, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };
	int ret;

	do {
		ret = ioctl(x->chunks[c].fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (ret && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}
