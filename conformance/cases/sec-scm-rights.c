// SPDX-License-Identifier: GPL-2.0
/*
 * sec-scm-rights: a dma-buf made by another process and received over a
 * unix socket (SCM_RIGHTS) is an ordinary dma-buf fd here: it registers
 * (1) and does I/O like one made here (v3 io_register_dmabuf() takes any
 * dma-buf fd through dma_buf_get()). The sender fills it with a pattern,
 * sends it, closes its own fd and mapping and exits before the receiver
 * registers, so the received fd is the only reference left.
 *
 * Checked: WRITE_FIXED from it puts the sender's bytes on the device
 * (pread oracle); READ_FIXED into it brings the device's bytes (CPU view
 * through the receiver's own mmap of the received fd); after the slot is
 * emptied and the fd closed, the dma-buf leaves bufinfo.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conf.h"

#define LEN	(128u << 10)

static int send_fd(int sock, int fd)
{
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(cbuf, 0, sizeof(cbuf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void sync_fd(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_RW };

	if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s))
		conf_fail("DMA_BUF_IOCTL_SYNC on the received fd: %s", strerror(errno));
}

int main(void)
{
	struct io_uring ring;
	int sv[2], fd, status, r;
	char *ref, *got, *cpu;
	unsigned long ino;
	pid_t pid;
	long at;

	conf_init();
	conf_need_series();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		conf_fail("socketpair: %s", strerror(errno));
	ref = conf_alloc(2 * LEN);
	got = conf_alloc(LEN);
	conf_fill(ref, 2 * LEN, 0x5c3);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		conf_fail("fork: %s", strerror(errno));
	if (!pid) {
		struct dmabuf_export x;

		dup2(2, 1);	/* a FAIL of the child's is no result line */
		close(sv[0]);
		conf_dmabuf(&x, "udmabuf", 2 * LEN);
		conf_cpu_begin(&x);
		memcpy(x.cpu, ref, LEN);
		memset((char *)x.cpu + LEN, 0x33, LEN);
		conf_cpu_end(&x);
		r = send_fd(sv[1], x.chunks[0].fd);
		export_free(&x);
		_exit(r ? 1 : 0);
	}
	close(sv[1]);
	fd = recv_fd(sv[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		conf_fail("the sending process failed (status 0x%x)", status);
	if (fd < 0)
		conf_fail("receiving the dma-buf fd: %s", conf_res(fd));
	ino = conf_dmabuf_ino(fd);

	conf_ring(&ring, 8, 0);
	conf_table(&ring, 1);
	{
		struct io_uring_regbuf_desc d = conf_desc(fd, conf.dev.fd);

		r = conf_update_desc(&ring, 0, &d);
	}
	conf_observe("register", "%s", conf_res(r));
	if (r != 1)
		conf_fail("registering a dma-buf received over SCM_RIGHTS: %s (1 expected)", conf_res(r));
	r = conf_rw(&ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, 0, LEN, 0);
	if (r != (int)LEN)
		conf_fail("WRITE_FIXED from the received dma-buf: %s", conf_res(r));
	conf_pread(&conf.dev, got, LEN, 0);
	at = conf_diff(got, ref, LEN);
	if (at >= 0)
		conf_fail("WRITE_FIXED from the received dma-buf did not write the sender's bytes (offset %ld)",
			  at);
	conf_pwrite(&conf.dev, ref + LEN, LEN, LEN);
	r = conf_rw(&ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, LEN, LEN, LEN);
	if (r != (int)LEN)
		conf_fail("READ_FIXED into the received dma-buf: %s", conf_res(r));
	cpu = mmap(NULL, 2 * LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cpu == MAP_FAILED)
		conf_fail("mmap of the received dma-buf: %s", strerror(errno));
	sync_fd(fd, DMA_BUF_SYNC_START);
	at = conf_diff(cpu + LEN, ref + LEN, LEN);
	sync_fd(fd, DMA_BUF_SYNC_END);
	munmap(cpu, 2 * LEN);
	if (at >= 0)
		conf_fail("READ_FIXED into the received dma-buf did not bring the device's bytes (offset %ld)",
			  at);
	if (conf_unregister_slot(&ring, 0) != 1)
		conf_fail("emptying the slot failed");
	close(fd);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the received dma-buf is still in bufinfo 10 s after its slot was emptied and the fd closed");
	conf_pass("a dma-buf received over SCM_RIGHTS from a process that has exited registered (1), WRITE_FIXED and READ_FIXED moved the right bytes, released after");
}
