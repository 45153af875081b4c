// SPDX-License-Identifier: GPL-2.0
/*
 * sec-readonly-dmabuf: a read-only dma-buf must not become the target of
 * device writes. A vgem dumb buffer is exported with PRIME without
 * DRM_RDWR (engine/exp_drm.c exports with it): the dma-buf's file is then
 * O_RDONLY (drm_gem_prime_export() passes the flags to dma_buf_export()),
 * which the case checks itself: fcntl(F_GETFL), the flags in
 * /proc/self/fdinfo, and mmap(PROT_WRITE, MAP_SHARED) refused. The bytes
 * are put in and checked through the GEM object's own mapping
 * (DRM_IOCTL_MODE_MAP_DUMB on the card node), never through the dma-buf.
 *
 * A READ_FIXED into the registered dma-buf makes the device write into it.
 * A safe kernel refuses that (at registration, or at the READ_FIXED); v3
 * checks no file mode: io_register_dmabuf() takes the fd with dma_buf_get()
 * and creates the token DMA_BIDIRECTIONAL. If the device's bytes land in
 * the read-only dma-buf the case FAILS with a FINDING. WRITE_FIXED from it
 * (the device reads it) must still work: pread oracle.
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
#include <libdrm/drm.h>
#include <libdrm/drm_mode.h>
#include <linux/dma-buf.h>

#include "conf.h"

#define LEN	(256u << 10)

/* A card node that makes dumb buffers, and one of LEN bytes on it. */
static int dumb_create(struct drm_mode_create_dumb *cr)
{
	char path[32];
	int i;

	for (i = 0; i < 16; i++) {
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(cr, 0, sizeof(*cr));
		cr->width = 1024;
		cr->bpp = 32;
		cr->height = LEN / 4096;
		if (!ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, cr) && cr->size >= LEN)
			return fd;
		close(fd);
	}
	return -1;
}

/* fdinfo's "flags:" of fd (octal), or -1 */
static long fdinfo_flags(int fd)
{
	char path[64], line[128];
	unsigned long flags;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &flags) == 1) {
			fclose(f);
			return (long)flags;
		}
	fclose(f);
	return -1;
}

static void sync_read(int fd, uint64_t how)
{
	struct dma_buf_sync s = { .flags = how | DMA_BUF_SYNC_READ };

	ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);	/* best effort: the view is the GEM's */
}

int main(void)
{
	struct drm_mode_create_dumb cr;
	struct drm_mode_map_dumb md;
	struct drm_prime_handle ph;
	struct io_uring_regbuf_desc d;
	struct io_uring ring;
	char *gem, *want, *dev_bytes, *got;
	int card, fd, acc, r, rr, mrw;
	long fl_info, at;
	void *p;

	conf_init();
	conf_need_series();
	card = dumb_create(&cr);
	if (card < 0)
		conf_skip("no /dev/dri/card* node makes a %u-byte dumb buffer (vgem not loaded?)", LEN);
	memset(&md, 0, sizeof(md));
	md.handle = cr.handle;
	if (ioctl(card, DRM_IOCTL_MODE_MAP_DUMB, &md))
		conf_fail("DRM_IOCTL_MODE_MAP_DUMB: %s", strerror(errno));
	gem = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, card, md.offset);
	if (gem == MAP_FAILED)
		conf_fail("mmap of the dumb buffer through the card node: %s", strerror(errno));
	want = conf_alloc(LEN);
	conf_fill(want, LEN, 0x5ec0);
	memcpy(gem, want, LEN);

	memset(&ph, 0, sizeof(ph));
	ph.handle = cr.handle;
	ph.flags = DRM_CLOEXEC;	/* no DRM_RDWR: read-only */
	if (ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph))
		conf_fail("DRM_IOCTL_PRIME_HANDLE_TO_FD without DRM_RDWR: %s", strerror(errno));
	fd = ph.fd;
	acc = fcntl(fd, F_GETFL) & O_ACCMODE;
	fl_info = fdinfo_flags(fd);
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mrw = p == MAP_FAILED ? -errno : 0;
	if (p != MAP_FAILED)
		munmap(p, LEN);
	conf_observe("dmabuf_mode", "F_GETFL=%s fdinfo_flags=0%lo mmap_rw=%s",
		     acc == O_RDONLY ? "O_RDONLY" : acc == O_RDWR ? "O_RDWR" : "O_WRONLY", fl_info,
		     conf_res(mrw));
	if (acc != O_RDONLY || (fl_info >= 0 && (fl_info & O_ACCMODE) != O_RDONLY))
		conf_skip("the PRIME export without DRM_RDWR is not read-only here (F_GETFL access %d): nothing to test",
			  acc);
	if (!mrw)
		conf_skip("the read-only dma-buf could be mapped PROT_WRITE: the kernel does not treat it as read-only");

	conf_ring(&ring, 8, 0);
	conf_table(&ring, 1);
	d = conf_desc(fd, conf.dev.fd);
	r = conf_update_desc(&ring, 0, &d);
	conf_observe("register", "%s", conf_res(r));
	if (r != 1)
		conf_pass("registering a read-only dma-buf was refused: %s (stricter than needed: WRITE_FIXED from it cannot be used either)",
			  conf_res(r));

	/* the device reads the dma-buf: must work */
	dev_bytes = conf_alloc(LEN);
	got = conf_alloc(LEN);
	conf_fill(dev_bytes, LEN, 0x5ec1);
	conf_pwrite(&conf.dev, dev_bytes, LEN, LEN);	/* overwritten by the write */
	conf_pwrite(&conf.dev, dev_bytes, LEN, 0);	/* what a READ_FIXED brings */
	r = conf_rw(&ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, 0, LEN, LEN);
	conf_observe("write_fixed", "%s", conf_res(r));
	if (r != (int)LEN)
		conf_fail("WRITE_FIXED from the read-only dma-buf: %s (%u expected)", conf_res(r), LEN);
	conf_pread(&conf.dev, got, LEN, LEN);
	at = conf_diff(got, want, LEN);
	if (at >= 0)
		conf_fail("WRITE_FIXED from the read-only dma-buf wrote other bytes than it holds (offset %ld)",
			  at);

	/* the device writes into the dma-buf: must be refused */
	r = conf_rw(&ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, LEN, 0);
	conf_observe("read_fixed", "%s", conf_res(r));
	sync_read(fd, DMA_BUF_SYNC_START);
	at = conf_diff(gem, dev_bytes, LEN);
	rr = conf_diff(gem, want, LEN) < 0;
	sync_read(fd, DMA_BUF_SYNC_END);
	conf_observe("dmabuf_after_read_fixed", "%s",
		     at < 0 ? "device bytes" : rr ? "unchanged" : "changed");
	if (at < 0)
		conf_fail("FINDING: READ_FIXED wrote %u bytes from the device into a dma-buf exported read-only (O_RDONLY file, mmap PROT_WRITE refused: %s); v3 registers any dma-buf fd (dma_buf_get) for DMA_BIDIRECTIONAL without checking its file mode; READ_FIXED returned %s",
			  LEN, conf_res(mrw), conf_res(r));
	if (r >= 0)
		conf_fail("READ_FIXED into the read-only dma-buf returned %s but %s", conf_res(r),
			  rr ? "the buffer is unchanged" : "the buffer holds neither its old nor the device's bytes");
	if (!rr)
		conf_fail("READ_FIXED into the read-only dma-buf failed (%s) but the buffer changed",
			  conf_res(r));
	conf_pass("READ_FIXED into a read-only dma-buf refused with %s, buffer unchanged; WRITE_FIXED from it worked",
		  conf_res(r));
}
