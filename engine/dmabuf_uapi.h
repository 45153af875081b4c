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

/* The series' dma-bufs are at most 1 GiB each up to v5. */
#define DMABUF_RW_MAX_SIZE	(1ULL << 30)

#endif /* FIO_DMABUF_UAPI_H */
