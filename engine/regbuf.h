/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma-buf registered buffers (the io_uring dma-buf series): probe,
 * register, and explain failures. Free of fio; the engine and
 * scripts/dmabuf-probe share it.
 */
#ifndef FIO_DMABUF_REGBUF_H
#define FIO_DMABUF_REGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <liburing.h>

/*
 * Does the kernel take extended buffer updates? Writes an EMPTY
 * descriptor into slot, which must exist in the ring's (sparse) table.
 * 1: yes; 0: no (-EINVAL, a kernel without the series); <0: other errno.
 */
int regbuf_probe(struct io_uring *ring, unsigned int slot);

/*
 * A raw struct io_uring_rsrc_update2 update (opcode e.g.
 * IORING_REGISTER_BUFFERS_UPDATE or IORING_REGISTER_FILES_UPDATE2) with
 * the given flags: what the kernel returned, slots done or -errno. The
 * conformance suite sends wrong ones on purpose.
 */
int regbuf_update(int ring_fd, unsigned int opcode, unsigned int off,
		  unsigned int flags, const void *data, unsigned int nr);

/* Register n dma-bufs into slots off.. bound to target_fd. 0 or -errno. */
int regbuf_register(struct io_uring *ring, unsigned int off, const int *fds,
		    unsigned int n, int target_fd);

/*
 * Why registering a dma-buf against target_fd (named name) failed with
 * err, and what to do; iopoll: the ring was set up with IOPOLL.
 */
const char *regbuf_explain(int err, int target_fd, const char *name,
			   bool iopoll, char *buf, size_t len);

/* The message for a kernel without the API (regbuf_probe() == 0). */
const char *regbuf_no_api_msg(char *buf, size_t len);

#endif /* FIO_DMABUF_REGBUF_H */
