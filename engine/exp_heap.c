// SPDX-License-Identifier: GPL-2.0
/*
 * DMA heaps: /dev/dma_heap/NAME (default "system"), one allocation per
 * chunk. Their CPU mapping is a PFN map io_uring cannot pin, so no mapped
 * path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/dma-heap.h>

#include "exporter.h"

#define HEAP_DIR	"/dev/dma_heap"

static const char *heap_name(const struct dmabuf_export *x)
{
	return x->arg ? x->arg : "system";
}

static int heap_check_arg(struct dmabuf_export *x)
{
	const char *name = heap_name(x);

	if (*name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, ".."))
		return 0;
	snprintf(x->err, sizeof(x->err), "heap:%s: not a heap name (see %s)", name, HEAP_DIR);
	return -EINVAL;
}

/* "system, cma" for messages */
static void heap_list(char *buf, size_t len)
{
	DIR *d = opendir(HEAP_DIR);
	struct dirent *de;
	size_t off = 0;

	buf[0] = '\0';
	if (!d) {
		snprintf(buf, len, "no %s", HEAP_DIR);
		return;
	}
	while ((de = readdir(d)) && off < len) {
		if (de->d_name[0] == '.')
			continue;
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", de->d_name);
	}
	closedir(d);
	if (!off)
		snprintf(buf, len, "none");
}

static int heap_alloc(struct dmabuf_export *x)
{
	char path[256], heaps[128];
	unsigned int i;
	int fd, ret = 0;

	snprintf(path, sizeof(path), HEAP_DIR "/%s", heap_name(x));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		heap_list(heaps, sizeof(heaps));
		snprintf(x->err, sizeof(x->err), "heap: cannot open %s: %s (heaps here: %s; the system heap needs CONFIG_DMABUF_HEAPS_SYSTEM)",
			 path, strerror(-ret), heaps);
		return ret;
	}
	for (i = 0; i < x->nr_chunks; i++) {
		struct dma_heap_allocation_data data = {
			.len		= x->chunks[i].size,
			.fd_flags	= O_RDWR | O_CLOEXEC,
		};

		if (ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data)) {
			ret = -errno;
			snprintf(x->err, sizeof(x->err), "heap: allocating %zu bytes from %s: %s",
				 x->chunks[i].size, path, strerror(-ret));
			goto out;
		}
		x->chunks[i].fd = data.fd;
	}
	ret = export_map_chunks(x);
out:
	close(fd);
	return ret;
}

const struct exporter exp_heap = {
	.name		= "heap",
	.caps		= EXP_CPU_MAP,
	.check_arg	= heap_check_arg,
	.alloc		= heap_alloc,
	.free		= export_unmap_chunks,
};
