// SPDX-License-Identifier: GPL-2.0
/*
 * io-fixed-file: the target fd registered as fixed file 0 and the
 * READ_FIXED / WRITE_FIXED sent with IOSQE_FIXED_FILE: the request's file
 * is the same struct file, so it works (notes 1.3). Data checked against
 * pread/pwrite on ordinary memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

static int fixed_rw(struct io_uring *ring, int op, uint64_t buf_off, unsigned int len,
		    uint64_t dev_off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		conf_fail("no free SQE");
	conf_prep_rw(sqe, op, 0, 0, buf_off, len, dev_off);
	sqe->flags |= IOSQE_FIXED_FILE;
	ret = io_uring_submit(ring);
	if (ret != 1)
		conf_fail("io_uring_submit: %s", conf_res(ret));
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		conf_fail("io_uring_wait_cqe: %s", conf_res(ret));
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* fixed_rw(), reissued on -EAGAIN as the series asks (at most 1000 times) */
static int fixed_rw_retry(struct io_uring *ring, int op, uint64_t buf_off, unsigned int len,
			  uint64_t dev_off)
{
	unsigned int tries = 0;
	int ret;

	do
		ret = fixed_rw(ring, op, buf_off, len, dev_off);
	while (ret == -EAGAIN && tries++ < 1000);
	return ret;
}

int main(void)
{
	const unsigned int len = 16384;
	unsigned char *ref, *want;
	struct conf_ctx c;
	int ret;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_no_page_cache();
	ret = io_uring_register_files(&c.ring, &conf.dev.fd, 1);
	if (ret)
		conf_fail("io_uring_register_files: %s", conf_res(ret));
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 4);
	ref = conf_alloc(len);
	want = conf_alloc(len);

	/* read: device 8192.. into dma-buf 4096.. */
	conf_cpu_begin(&c.x);
	memset(c.x.cpu, 0xa5, c.x.size);
	conf_cpu_end(&c.x);
	ret = fixed_rw_retry(&c.ring, IORING_OP_READ_FIXED, 4096, len, 8192);
	if (ret != (int)len)
		conf_fail("READ_FIXED with IOSQE_FIXED_FILE: %s, expected %u", conf_res(ret), len);
	conf_pread(&conf.dev, ref, len, 8192);
	conf_cpu_begin(&c.x);
	if (conf_diff((char *)c.x.cpu + 4096, ref, len) >= 0)
		conf_fail("READ_FIXED with IOSQE_FIXED_FILE: the dma-buf differs from the device at byte %ld",
			  conf_diff((char *)c.x.cpu + 4096, ref, len));
	conf_cpu_end(&c.x);

	/* write: dma-buf 0.. to device 32768.. */
	conf_fill(want, len, 5);
	conf_cpu_begin(&c.x);
	memcpy(c.x.cpu, want, len);
	conf_cpu_end(&c.x);
	ret = fixed_rw_retry(&c.ring, IORING_OP_WRITE_FIXED, 0, len, 32768);
	if (ret != (int)len)
		conf_fail("WRITE_FIXED with IOSQE_FIXED_FILE: %s, expected %u", conf_res(ret), len);
	conf_pread(&conf.dev, ref, len, 32768);
	if (conf_diff(ref, want, len) >= 0)
		conf_fail("WRITE_FIXED with IOSQE_FIXED_FILE: the device reads back wrong at byte %ld",
			  conf_diff(ref, want, len));
	free(ref);
	free(want);
	conf_pass("READ_FIXED and WRITE_FIXED with IOSQE_FIXED_FILE on the registered target: correct data");
}
