// SPDX-License-Identifier: GPL-2.0
/*
 * udmabuf: a sealed memfd turned into dma-bufs by /dev/udmabuf, one per
 * chunk, at offsets of one memfd. The memfd's own mapping is plain shmem
 * (or hugetlb) that io_uring can pin, which gives the mapped path the very
 * pages the direct path reads into.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/udmabuf.h>

#include "exporter.h"

#define UDMABUF_DEV		"/dev/udmabuf"
#define UDMABUF_LIMIT_PARAM	"/sys/module/udmabuf/parameters/size_limit_mb"

static size_t udmabuf_max_size(const char *arg)
{
	unsigned long long mb = 0;
	FILE *f = fopen(UDMABUF_LIMIT_PARAM, "r");

	(void)arg;
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &mb) != 1)
		mb = 0;
	fclose(f);
	return mb << 20;
}

static int udmabuf_check_arg(struct dmabuf_export *x)
{
	if (!x->arg)
		return 0;
	snprintf(x->err, sizeof(x->err), "dmabuf_source=udmabuf takes no argument (got 'udmabuf:%s')",
		 x->arg);
	return -EINVAL;
}

/*
 * The memfd's size: x->size, rounded up to its page size. A hugetlb memfd
 * takes only whole huge pages (ftruncate and mmap say EINVAL otherwise);
 * st_blksize is its huge page size. 0, or -errno with x->err.
 */
static int udmabuf_memfd_size(struct dmabuf_export *x, int memfd)
{
	struct stat st;
	size_t page;

	x->host_size = x->size;
	if (!x->hugepage)
		return 0;
	if (fstat(memfd, &st)) {
		int err = errno;

		snprintf(x->err, sizeof(x->err), "udmabuf: fstat of the hugetlb memfd: %s",
			 strerror(err));
		return -err;
	}
	page = st.st_blksize;
	if (!page || (page & (page - 1))) {
		snprintf(x->err, sizeof(x->err), "udmabuf: the hugetlb memfd has no usable huge page size (st_blksize %zu)",
			 page);
		return -EINVAL;
	}
	x->host_size = (x->size + page - 1) & ~(page - 1);
	return 0;
}

static int udmabuf_alloc(struct dmabuf_export *x)
{
	unsigned int i, flags = MFD_ALLOW_SEALING | MFD_CLOEXEC;
	int dev, memfd, ret = 0;

	dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		ret = -errno;
		snprintf(x->err, sizeof(x->err), "udmabuf: cannot open %s: %s%s",
			 UDMABUF_DEV, strerror(-ret), ret == -ENOENT ?
			 " (the kernel needs CONFIG_UDMABUF=y)" : "");
		return ret;
	}
	if (x->hugepage)
		flags |= MFD_HUGETLB;
	memfd = memfd_create("fio-dmabuf", flags);
	if (memfd < 0) {
		ret = -errno;
		snprintf(x->err, sizeof(x->err), "udmabuf: memfd_create%s: %s", x->hugepage ?
			 "(MFD_HUGETLB)" : "", strerror(-ret));
		goto out_dev;
	}
	ret = udmabuf_memfd_size(x, memfd);
	if (ret)
		goto out_memfd;
	if (ftruncate(memfd, x->host_size)) {
		ret = -errno;
		snprintf(x->err, sizeof(x->err), "udmabuf: sizing the memfd to %zu bytes: %s",
			 x->host_size, strerror(-ret));
		goto out_memfd;
	}
	/* udmabuf refuses a memfd that could shrink under it */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		ret = -errno;
		snprintf(x->err, sizeof(x->err), "udmabuf: sealing the memfd: %s", strerror(-ret));
		goto out_memfd;
	}
	/* map first: hugetlb reserves its pages here, and says so if it cannot */
	x->host = mmap(NULL, x->host_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       memfd, 0);
	if (x->host == MAP_FAILED) {
		x->host = NULL;
		ret = -errno;
		if (x->hugepage)
			snprintf(x->err, sizeof(x->err), "udmabuf: mapping %zu bytes of huge pages: %s; reserve them first in /proc/sys/vm/nr_hugepages",
				 x->host_size, strerror(-ret));
		else
			snprintf(x->err, sizeof(x->err), "udmabuf: mapping the memfd: %s",
				 strerror(-ret));
		goto out_memfd;
	}
	x->cpu = x->host;
	for (i = 0; i < x->nr_chunks; i++) {
		struct udmabuf_create create = {
			.memfd	= memfd,
			.flags	= UDMABUF_FLAGS_CLOEXEC,
			.offset	= (__u64)i * x->chunk_size,
			.size	= x->chunks[i].size,
		};

		x->chunks[i].fd = ioctl(dev, UDMABUF_CREATE, &create);
		if (x->chunks[i].fd < 0) {
			ret = -errno;
			snprintf(x->err, sizeof(x->err), "udmabuf: UDMABUF_CREATE of %zu bytes: %s%s",
				 x->chunks[i].size, strerror(-ret), ret == -EINVAL ?
				 " (above udmabuf.size_limit_mb? raise it on the kernel command line)" : "");
			goto out_memfd;
		}
	}
out_memfd:
	close(memfd);	/* the mapping and the udmabufs hold it */
out_dev:
	close(dev);
	return ret;
}

static void udmabuf_free(struct dmabuf_export *x)
{
	if (x->host)
		munmap(x->host, x->host_size);
	x->host = x->cpu = NULL;
}

const struct exporter exp_udmabuf = {
	.name		= "udmabuf",
	.caps		= EXP_CPU_MAP | EXP_HOST_PAGES,
	.max_size	= udmabuf_max_size,
	.check_arg	= udmabuf_check_arg,
	.alloc		= udmabuf_alloc,
	.free		= udmabuf_free,
};
