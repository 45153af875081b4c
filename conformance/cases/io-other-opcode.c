// SPDX-License-Identifier: GPL-2.0
/*
 * io-other-opcode: a dma-buf slot used by a request other than
 * READ_FIXED/WRITE_FIXED: -EFAULT (v3 patch 10: only io_init_rw_fixed()
 * passes IO_REGBUF_IMPORT_ALLOW_DMABUF, io_import_fixed() refuses the rest
 * with -EFAULT; notes 1.3, 1.5 "dmabuf slot used by a non-fixed-rw op
 * (uring_cmd passthrough, send_zc)"). Two such requests:
 *  - an NVMe passthrough read (IORING_OP_URING_CMD, NVME_URING_CMD_IO with
 *    IORING_URING_CMD_FIXED) on the namespace's generic node /dev/ngXnY;
 *  - IORING_OP_SEND_ZC with IORING_RECVSEND_FIXED_BUF on a UDP socket
 *    connected to itself on 127.0.0.1.
 * Each has a control: the same request on a classic registered buffer in
 * slot 1 must work, or that half is left out (said in an OBSERVE line). The
 * case skips when neither half can run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/nvme_ioctl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "conf.h"

/* one SQE, its CQE's res; a send_zc notification CQE is reaped too */
static int submit_one(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int ret, res;
	bool more;

	ret = io_uring_submit(ring);
	if (ret != 1)
		conf_fail("io_uring_submit: %s", conf_res(ret));
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		conf_fail("io_uring_wait_cqe: %s", conf_res(ret));
	res = cqe->res;
	more = cqe->flags & IORING_CQE_F_MORE;
	io_uring_cqe_seen(ring, cqe);
	if (more) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			conf_fail("io_uring_wait_cqe (send_zc notification): %s", conf_res(ret));
		io_uring_cqe_seen(ring, cqe);
	}
	return res;
}

static int passthru_read(struct io_uring *ring, int ng, unsigned int nsid, unsigned int slot,
			 uint64_t addr, unsigned int len)
{
	unsigned int tries = 0;
	int ret;

	do {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct nvme_uring_cmd *cmd;

		if (!sqe)
			conf_fail("no free SQE");
		memset(sqe, 0, 128);
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = ng;
		sqe->cmd_op = NVME_URING_CMD_IO;
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = slot;
		cmd = (struct nvme_uring_cmd *)sqe->cmd;
		cmd->opcode = 0x02;	/* nvme_cmd_read */
		cmd->nsid = nsid;
		cmd->addr = addr;
		cmd->data_len = len;
		cmd->cdw10 = 0;		/* starting LBA 0 */
		cmd->cdw12 = len / conf.dev.lba - 1;
		ret = submit_one(ring);
	} while (ret == -EAGAIN && tries++ < 1000);
	return ret;
}

/* the generic char node of the namespace: /dev/nvmeXnY -> /dev/ngXnY */
static int open_ng(char *path, size_t len)
{
	const char *base = strrchr(conf.dev.path, '/');

	base = base ? base + 1 : conf.dev.path;
	if (strncmp(base, "nvme", 4))
		return -1;
	snprintf(path, len, "/dev/ng%s", base + 4);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* the uring_cmd half: the result on the dma-buf slot, or 1 when it cannot run */
static int uring_cmd_half(void)
{
	static struct dmabuf_export x;
	unsigned char *mem, *ref;
	struct io_uring ring;
	struct iovec iov;
	char path[64];
	int ng, nsid, ret;

	ng = open_ng(path, sizeof(path));
	if (ng < 0) {
		conf_observe("uring_cmd", "left out: no generic node for %s (%s)", conf.dev.path,
			     strerror(errno));
		return 1;
	}
	nsid = ioctl(ng, NVME_IOCTL_ID);
	if (nsid <= 0) {
		conf_observe("uring_cmd", "left out: NVME_IOCTL_ID on %s: %s", path, strerror(errno));
		return 1;
	}
	mem = conf_alloc(64 << 10);
	ref = conf_alloc(4096);
	iov.iov_base = mem;
	iov.iov_len = 64 << 10;
	conf_dmabuf(&x, "udmabuf", 64 << 10);
	conf_ring(&ring, 8, IORING_SETUP_SQE128 | IORING_SETUP_CQE32);
	conf_table(&ring, 2);
	conf_register(&ring, 0, x.chunks[0].fd, conf.dev.fd);
	ret = io_uring_register_buffers_update_tag(&ring, 1, &iov, NULL, 1);
	if (ret != 1)
		conf_fail("a classic buffer in slot 1: %s", conf_res(ret));

	memset(mem, 0xa5, 4096);
	ret = passthru_read(&ring, ng, nsid, 1, (uintptr_t)mem, 4096);
	conf_pread(&conf.dev, ref, 4096, 0);
	if (ret != 0 || memcmp(mem, ref, 4096)) {
		conf_observe("uring_cmd", "left out: the control (a passthrough read into a classic registered buffer) gave %s%s",
			     conf_res(ret), ret ? "" : " with wrong data");
		io_uring_queue_exit(&ring);
		export_free(&x);
		free(mem);
		free(ref);
		close(ng);
		return 1;
	}
	ret = passthru_read(&ring, ng, nsid, 0, 0, 4096);
	conf_observe("uring_cmd", "%s", conf_res(ret));
	io_uring_queue_exit(&ring);
	export_free(&x);
	free(mem);
	free(ref);
	close(ng);
	return ret;
}

static int send_zc(struct io_uring *ring, int s, const void *buf, unsigned int slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		conf_fail("no free SQE");
	io_uring_prep_send_zc_fixed(sqe, s, buf, 1024, 0, 0, slot);
	return submit_one(ring);
}

/* the send_zc half: the result on the dma-buf slot, or 1 when it cannot run */
static int send_zc_half(void)
{
	static struct dmabuf_export x;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	unsigned char *mem;
	struct iovec iov;
	struct io_uring ring;
	int s, ret;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		conf_observe("send_zc", "left out: a UDP socket on 127.0.0.1: %s", strerror(errno));
		if (s >= 0)
			close(s);
		return 1;
	}
	mem = conf_alloc(64 << 10);
	iov.iov_base = mem;
	iov.iov_len = 64 << 10;
	conf_dmabuf(&x, "udmabuf", 64 << 10);
	conf_ring(&ring, 8, 0);
	conf_table(&ring, 2);
	conf_register(&ring, 0, x.chunks[0].fd, conf.dev.fd);
	ret = io_uring_register_buffers_update_tag(&ring, 1, &iov, NULL, 1);
	if (ret != 1)
		conf_fail("a classic buffer in slot 1: %s", conf_res(ret));
	memset(mem, 0x5a, 1024);
	ret = send_zc(&ring, s, mem, 1);
	if (ret != 1024) {
		conf_observe("send_zc", "left out: the control (send_zc from a classic registered buffer) gave %s",
			     conf_res(ret));
		io_uring_queue_exit(&ring);
		export_free(&x);
		free(mem);
		close(s);
		return 1;
	}
	ret = send_zc(&ring, s, NULL, 0);
	conf_observe("send_zc", "%s", conf_res(ret));
	io_uring_queue_exit(&ring);
	export_free(&x);
	free(mem);
	close(s);
	return ret;
}

int main(void)
{
	int cmd, zc;

	conf_init();
	conf_need_series();
	conf_no_page_cache();
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 16);
	cmd = uring_cmd_half();
	zc = send_zc_half();
	if (cmd == 1 && zc == 1)
		conf_skip("neither a passthrough uring_cmd nor send_zc could run here (see the OBSERVE lines)");
	if (cmd != 1 && cmd != -EFAULT)
		conf_fail("%sa passthrough read (URING_CMD_FIXED) into a dma-buf slot: %s, expected -EFAULT",
			  cmd >= 0 ? "FINDING: " : "", conf_res(cmd));
	if (zc != 1 && zc != -EFAULT)
		conf_fail("%ssend_zc (RECVSEND_FIXED_BUF) from a dma-buf slot: %s, expected -EFAULT",
			  zc >= 0 ? "FINDING: " : "", conf_res(zc));
	conf_pass("a dma-buf slot used by %s%s%s: -EFAULT, as documented",
		  cmd != 1 ? "an NVMe passthrough read (uring_cmd)" : "",
		  cmd != 1 && zc != 1 ? " and " : "", zc != 1 ? "send_zc" : "");
}
