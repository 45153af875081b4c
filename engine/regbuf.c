// SPDX-License-Identifier: GPL-2.0
/*
 * The series' registration is an IORING_REGISTER_BUFFERS_UPDATE with the
 * EXTENDED flag and an array of descriptors; liburing has no helper for
 * it, so this is the one raw io_uring_register() call in the project.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "dmabuf_uapi.h"
#include "regbuf.h"

int regbuf_update(int ring_fd, unsigned int opcode, unsigned int off,
		  unsigned int flags, const void *data, unsigned int nr)
{
	struct io_uring_rsrc_update2 up;
	int ret;

	memset(&up, 0, sizeof(up));
	up.offset = off;
	up.RSRC_UPDATE2_FLAGS = flags;
	up.data = (__u64)(uintptr_t)data;
	up.nr = nr;
	ret = syscall(__NR_io_uring_register, ring_fd, opcode, &up, sizeof(up));
	return ret < 0 ? -errno : ret;
}

static int update_extended(struct io_uring *ring, unsigned int off,
			   struct io_uring_regbuf_desc *desc, unsigned int n)
{
	return regbuf_update(ring->ring_fd, IORING_REGISTER_BUFFERS_UPDATE, off,
			     IORING_RSRC_UPDATE_EXTENDED, desc, n);
}

int regbuf_probe(struct io_uring *ring, unsigned int slot)
{
	struct io_uring_regbuf_desc desc;
	int ret;

	memset(&desc, 0, sizeof(desc));
	desc.type = IO_REGBUF_TYPE_EMPTY;
	ret = update_extended(ring, slot, &desc, 1);
	if (ret == 1)
		return 1;
	return ret == -EINVAL ? 0 : (ret < 0 ? ret : -EIO);
}

int regbuf_register(struct io_uring *ring, unsigned int off, const int *fds,
		    unsigned int n, int target_fd)
{
	struct io_uring_regbuf_desc desc[64];
	unsigned int done = 0;

	while (done < n) {
		unsigned int i, batch = n - done;
		int ret;

		if (batch > sizeof(desc) / sizeof(desc[0]))
			batch = sizeof(desc) / sizeof(desc[0]);
		memset(desc, 0, sizeof(desc));
		for (i = 0; i < batch; i++) {
			/* size and uaddr stay 0: the dma-buf's own size counts */
			desc[i].type = IO_REGBUF_TYPE_DMABUF;
			desc[i].dmabuf_fd = fds[done + i];
			desc[i].target_fd = target_fd;
		}
		ret = update_extended(ring, off + done, desc, batch);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -EIO;
		done += ret;
	}
	return 0;
}

const char *regbuf_no_api_msg(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u))
		strcpy(u.release, "?");
	snprintf(buf, len,
		 "kernel %s lacks the io_uring dma-buf API (an extended buffer update is rejected with -EINVAL): boot a kernel with the io_uring dma-buf series (scripts/vm --kernel-patches DIR builds one), or use dmabuf_path=mapped or bounce",
		 u.release);
	return buf;
}

const char *regbuf_explain(int err, int target_fd, const char *name,
			   bool iopoll, char *buf, size_t len)
{
	int fl = fcntl(target_fd, F_GETFL);
	struct stat st;
	bool blk = !fstat(target_fd, &st) && S_ISBLK(st.st_mode);

	switch (err) {
	case -EOPNOTSUPP:
		if (iopoll && blk)
			snprintf(buf, len, "%s: this kernel refuses dma-buf buffers on a polled (IOPOLL) ring (-EOPNOTSUPP): drop hipri", name);
		else
			snprintf(buf, len, "%s cannot take dma-buf buffers (-EOPNOTSUPP): %s; use an NVMe namespace /dev/nvmeXnY, or dmabuf_path=bounce",
				 name, blk ? "its driver has no dma-buf support" :
				 "it is not a block device (a regular file or a /dev/ngXnY char device)");
		break;
	case -EINVAL:
		if (fl >= 0 && !(fl & O_DIRECT))
			snprintf(buf, len, "%s was opened without O_DIRECT (-EINVAL): use direct=1", name);
		else if (!blk)
			snprintf(buf, len, "%s cannot take dma-buf buffers (-EINVAL): it is not a block device; use /dev/nvmeXnY", name);
		else
			snprintf(buf, len, "%s cannot take dma-buf buffers (-EINVAL): it is not an nvme-pci namespace (virtio-blk, dm, nvme-tcp, ...) or it is an NVMe multipath head; pick a /dev/nvmeXnY without multipath (boot with nvme_core.multipath=N), or use dmabuf_path=mapped or bounce", name);
		break;
	case -EBADF:
		snprintf(buf, len, "%s: the kernel calls the file or the dma-buf fd bad (-EBADF)", name);
		break;
	case -ENXIO:
		snprintf(buf, len, "%s: the ring has no buffer table (-ENXIO)", name);
		break;
	default:
		snprintf(buf, len, "%s: registering a dma-buf failed: %s", name, strerror(-err));
	}
	return buf;
}
