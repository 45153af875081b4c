// SPDX-License-Identifier: GPL-2.0
/*
 * reg-clone-table: IORING_REGISTER_CLONE_BUFFERS into a second ring from a
 * ring whose table holds a dma-buf. v3 clones it like any buffer (the
 * imu and its dma-buf token are shared by reference; notes 1.6 "possible
 * in v3"); later versions mark dma-buf buffers uncloneable and refuse
 * (errno not settled: the RFC returned -ENOMEM). Judged:
 *  - refused with an errno: pass, the errno recorded;
 *  - cloned: a READ_FIXED and a WRITE_FIXED through the clone must be
 *    right (checked against pread/pwrite), and must still be right after
 *    the source ring is closed (the clone holds its own reference); once
 *    the clone's ring is closed too, the dma-buf must leave the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "conf.h"

int main(void)
{
	struct io_uring_clone_buffers arg;
	struct conf_ctx c;
	struct io_uring dst;
	unsigned long ino;
	int ret;

	conf_setup(&c, "udmabuf", 256 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_dev_pattern(&conf.dev, 0, 1 << 20, 35);
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 0);
	conf_ring(&dst, 8, 0);
	memset(&arg, 0, sizeof(arg));
	arg.src_fd = c.ring.ring_fd;
	ret = syscall(__NR_io_uring_register, dst.ring_fd, IORING_REGISTER_CLONE_BUFFERS, &arg, 1);
	ret = ret < 0 ? -errno : ret;
	conf_observe("clone", "%s", conf_res(ret));
	if (ret == -EINVAL) {
		/* a kernel without the opcode says -EINVAL too: tell them apart */
		struct io_uring plain, plain_dst;
		int ctl;

		conf_ring(&plain, 4, 0);
		conf_table(&plain, 1);
		conf_ring(&plain_dst, 4, 0);
		arg.src_fd = plain.ring_fd;
		ctl = syscall(__NR_io_uring_register, plain_dst.ring_fd,
			      IORING_REGISTER_CLONE_BUFFERS, &arg, 1);
		if (ctl < 0)
			conf_skip("cloning a table without dma-bufs fails too (%s): the kernel lacks IORING_REGISTER_CLONE_BUFFERS",
				  conf_res(-errno));
	}
	if (ret < 0)
		conf_pass("cloning a table that holds a dma-buf: refused with %s (the later versions' behaviour; v3 clones)",
			  conf_res(ret));
	conf_check_read(&dst, &conf.dev, conf.dev.fd, 0, &c.x, 8192, 65536, 65536);
	conf_check_write(&dst, &conf.dev, conf.dev.fd, 0, &c.x, 4096, 16384, 512 << 10, 36);
	io_uring_queue_exit(&c.ring);
	conf_check_read(&dst, &conf.dev, conf.dev.fd, 0, &c.x, 0, 32768, 4096);
	io_uring_queue_exit(&dst);
	export_free(&c.x);
	ret = conf_dmabuf_wait(ino, 0, 10000);
	conf_observe("released", "%s", ret == 0 ? "yes" : ret < 0 ? "unknown (no debugfs)" : "no");
	if (ret == 1)
		conf_fail("the dma-buf was cloned and is still in the kernel 10 s after both rings closed");
	conf_pass("cloning a table that holds a dma-buf: cloned (v3 behaviour; later versions refuse); I/O through the clone is right, also after the source ring closed%s",
		  ret == 0 ? ", and the dma-buf was released after both closed" : "");
}
