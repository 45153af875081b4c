/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user API of the io_uring dma-buf read/write series (Begunkov, v3+),
 * not in mainline: used only where <linux/io_uring.h> lacks it.
 *
 * The descriptor type number is not settled: a rival device-memory series
 * numbers its own type 2 as well. Build with -DIO_REGBUF_TYPE_DMABUF=N to
 * match a kernel that numbers it differently.
 */
#ifndef FIO_DMABUF_UAPI_H
#define FIO_DMABUF_UAPI_H

#include <linux/io_uring.h>
#include <linux/types.h>

#ifdef IORING_RSRC_UPDATE_EXTENDED
#define RSRC_UPDATE2_FLAGS	flags
#else
/* in struct io_uring_rsrc_update2's flags (formerly resv) */
#define IORING_RSRC_UPDATE_EXTENDED	(1U << 1)
#define RSRC_UPDATE2_FLAGS	resv

#define IO_REGBUF_TYPE_EMPTY	0
#define IO_REGBUF_TYPE_UADDR	1
#ifndef IO_REGBUF_TYPE_DMABUF
#define IO_REGBUF_TYPE_DMABUF	2
#endif

struct io_uring_regbuf_desc {
	__u32	type;
	__u32	flags;
	__u64	size;
	__u64	uaddr;
	__s32	dmabuf_fd;
	__s32	target_fd;
	__u64	__resv[6];
};
#endif /* IORING_RSRC_UPDATE_EXTENDED */

_Static_assert(sizeof(struct io_uring_regbuf_desc) == 80,
	       "struct io_uring_regbuf_desc is 80 bytes in the series");

#ifndef IORING_REGISTER_BUFFERS_UPDATE
#define IORING_REGISTER_BUFFERS_UPDATE	16
#endif

/*
 * Merged io_uring UAPI newer than Debian 12's kernel headers (6.1), which
 * the conformance suite sends: vectored fixed I/O (6.15), buffer cloning
 * (6.12, with offsets since 6.13). Enum members cannot be tested with
 * #ifdef, so the headers' own version decides.
 */
#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
#define IORING_OP_READV_FIXED		60
#define IORING_OP_WRITEV_FIXED		61
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define IORING_REGISTER_CLONE_BUFFERS	30
#define IORING_REGISTER_SRC_REGISTERED	(1U << 0)
#define IORING_REGISTER_DST_REPLACE	(1U << 1)
struct io_uring_clone_buffers {
	__u32	src_fd;
	__u32	flags;
	__u32	src_off;
	__u32	dst_off;
	__u32	nr;
	__u32	pad[3];
};
#endif

/* The series' dma-bufs are at most 1 GiB each up to v5. */
#define DMABUF_RW_MAX_SIZE	(1ULL << 30)

#endif /* FIO_DMABUF_UAPI_H */
