// SPDX-License-Identifier: GPL-2.0
/*
 * io-writev-fixed: IORING_OP_WRITEV_FIXED (61, Linux 6.15) on a dma-buf
 * slot: -EOPNOTSUPP (v3 patch 10, io_import_reg_vec(): "if (imu->flags &
 * IO_REGBUF_F_DMABUF) return -EOPNOTSUPP"; notes 1.5 "issue -EOPNOTSUPP"),
 * and the device is left as it was. The control: the same request from a
 * classic registered buffer must write correct data, or the kernel lacks
 * the opcode and the case skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conf.h"

static int rwv(struct io_uring *ring, int op, unsigned int slot, struct iovec *iov,
	       uint64_t dev_off)
{
	struct io_uring_cqe *cqe;
	unsigned int tries = 0;
	int ret;

	do {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			conf_fail("no free SQE");
		io_uring_prep_rw(op, sqe, conf.dev.fd, iov, 1, dev_off);
		sqe->buf_index = slot;
		ret = io_uring_submit(ring);
		if (ret != 1)
			conf_fail("io_uring_submit: %s", conf_res(ret));
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			conf_fail("io_uring_wait_cqe: %s", conf_res(ret));
		ret = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	} while (ret == -EAGAIN && tries++ < 1000);
	return ret;
}

int main(void)
{
	unsigned char *mem, *ref, *pre;
	struct conf_ctx c;
	struct iovec iov;
	int ret;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 2);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	mem = conf_alloc(64 << 10);
	ref = conf_alloc(4096);
	pre = conf_alloc(4096);
	iov.iov_base = mem;
	iov.iov_len = 64 << 10;
	ret = io_uring_register_buffers_update_tag(&c.ring, 1, &iov, NULL, 1);
	if (ret != 1)
		conf_fail("a classic buffer in slot 1: %s", conf_res(ret));
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 13);

	/* the control: a classic registered buffer */
	conf_fill(mem + 4096, 4096, 14);
	iov.iov_base = mem + 4096;
	iov.iov_len = 4096;
	ret = rwv(&c.ring, IORING_OP_WRITEV_FIXED, 1, &iov, 8192);
	conf_observe("classic", "%s", conf_res(ret));
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		conf_skip("WRITEV_FIXED from a classic registered buffer: %s (the kernel lacks the opcode, 6.15+)",
			  conf_res(ret));
	if (ret != 4096)
		conf_fail("the control, WRITEV_FIXED from a classic registered buffer: %s", conf_res(ret));
	conf_pread(&conf.dev, ref, 4096, 8192);
	if (memcmp(mem + 4096, ref, 4096))
		conf_fail("the control, WRITEV_FIXED from a classic registered buffer, wrote wrong data");

	/* the dma-buf slot: the iovec's base is an offset into the dma-buf */
	conf_cpu_begin(&c.x);
	conf_fill(c.x.cpu, 64 << 10, 15);
	conf_cpu_end(&c.x);
	conf_pread(&conf.dev, pre, 4096, 16384);
	iov.iov_base = (void *)(uintptr_t)4096;
	iov.iov_len = 4096;
	ret = rwv(&c.ring, IORING_OP_WRITEV_FIXED, 0, &iov, 16384);
	conf_pread(&conf.dev, ref, 4096, 16384);
	if (ret < 0 && memcmp(pre, ref, 4096))
		conf_fail("a refused WRITEV_FIXED on a dma-buf slot (%s) changed the device", conf_res(ret));
	free(mem);
	free(ref);
	free(pre);
	conf_expect(ret, -EOPNOTSUPP, "WRITEV_FIXED on a dma-buf slot");
}
