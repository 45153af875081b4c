// SPDX-License-Identifier: GPL-2.0
/*
 * DRM: a dumb buffer per chunk on a card node (vgem, or a GPU driver),
 * exported with PRIME as a read-write dma-buf. Like heaps, its CPU mapping
 * cannot be pinned, so no mapped path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <libdrm/drm.h>
#include <libdrm/drm_mode.h>

#include "exporter.h"

#define DRM_CARD_FMT	"/dev/dri/card%d"
#define DRM_MAX_CARDS	16
/* A dumb buffer is height rows of a 4 KiB pitch: 1024 pixels of 32 bits. */
#define DUMB_WIDTH	1024
#define DUMB_BPP	32
#define DUMB_PITCH	(DUMB_WIDTH * DUMB_BPP / 8)

/* Export one dumb buffer of at least size bytes; returns the dma-buf fd. */
static int drm_export_dumb(int card, size_t size, char *err, size_t len)
{
	struct drm_mode_create_dumb create = {
		.height	= (size + DUMB_PITCH - 1) / DUMB_PITCH,
		.width	= DUMB_WIDTH,
		.bpp	= DUMB_BPP,
	};
	struct drm_mode_destroy_dumb destroy;
	struct drm_prime_handle prime;
	int ret;

	if (ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &create)) {
		ret = -errno;
		snprintf(err, len, "drm: DRM_IOCTL_MODE_CREATE_DUMB of %zu bytes: %s", size,
			 strerror(-ret));
		return ret;
	}
	memset(&prime, 0, sizeof(prime));
	prime.handle = create.handle;
	prime.flags = DRM_CLOEXEC | DRM_RDWR;
	ret = ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime) ? -errno : prime.fd;
	if (ret < 0)
		snprintf(err, len, "drm: DRM_IOCTL_PRIME_HANDLE_TO_FD: %s", strerror(-ret));
	else if (create.size < size) {
		snprintf(err, len, "drm: asked for %zu bytes, the driver made %llu", size,
			 (unsigned long long)create.size);
		close(ret);
		ret = -EINVAL;
	}
	/* The dma-buf keeps the buffer; the handle is not needed. */
	destroy.handle = create.handle;
	ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	return ret;
}

/* The named node, or the first card node that makes dumb buffers. */
static int drm_open_card(struct dmabuf_export *x, char *path, size_t len)
{
	int i, fd;

	if (x->arg) {
		snprintf(path, len, "%s", x->arg);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			int err = errno;	/* snprintf may change errno */

			snprintf(x->err, sizeof(x->err), "drm: cannot open %s: %s", path,
				 strerror(err));
			return -err;
		}
		return fd;
	}
	for (i = 0; i < DRM_MAX_CARDS; i++) {
		char err[128];
		int buf;

		snprintf(path, len, DRM_CARD_FMT, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		buf = drm_export_dumb(fd, 4096, err, sizeof(err));
		if (buf >= 0) {
			close(buf);
			return fd;
		}
		close(fd);
	}
	snprintf(x->err, sizeof(x->err),
		 "drm: no /dev/dri/card* node makes dumb buffers: load vgem (CONFIG_DRM_VGEM) or name a node, drm:/dev/dri/cardN");
	return -ENODEV;
}

static int drm_check_arg(struct dmabuf_export *x)
{
	if (!x->arg || !strncmp(x->arg, "/dev/", 5))
		return 0;
	snprintf(x->err, sizeof(x->err), "drm:%s: give the card node's path, e.g. drm:/dev/dri/card0",
		 x->arg);
	return -EINVAL;
}

static int drm_alloc(struct dmabuf_export *x)
{
	char path[64];
	unsigned int i;
	int card, ret = 0;

	card = drm_open_card(x, path, sizeof(path));
	if (card < 0)
		return card;
	for (i = 0; i < x->nr_chunks; i++) {
		ret = drm_export_dumb(card, x->chunks[i].size, x->err, sizeof(x->err));
		if (ret < 0)
			goto out;
		x->chunks[i].fd = ret;
	}
	ret = export_map_chunks(x);
out:
	close(card);
	return ret;
}

const struct exporter exp_drm = {
	.name		= "drm",
	.caps		= EXP_CPU_MAP,
	.check_arg	= drm_check_arg,
	.alloc		= drm_alloc,
	.free		= export_unmap_chunks,
};
