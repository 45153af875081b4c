// SPDX-License-Identifier: GPL-2.0
/*
 * udmabuf-create: can this machine make a udmabuf? Written on its own for
 * tests/probe, sharing no code with engine/exp_udmabuf.c or the probe: a
 * sealed 2-page memfd, UDMABUF_CREATE on /dev/udmabuf, and the result
 * checked to be a dma-buf (its /proc/self/fd link names "dmabuf").
 *
 * Prints "yes: ..." (exit 0), or "no: WHY" (exit 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* include/uapi/linux/udmabuf.h, copied so no header is needed */
struct my_udmabuf_create {
	uint32_t memfd;
	uint32_t flags;
	uint64_t offset;
	uint64_t size;
};
#define MY_UDMABUF_CREATE _IOW('u', 0x42, struct my_udmabuf_create)

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct my_udmabuf_create c;
	char link[64], target[256] = "";
	int dev, memfd, buf;
	ssize_t n;

	dev = open("/dev/udmabuf", O_RDWR);
	if (dev < 0) {
		printf("no: cannot open /dev/udmabuf: %s\n", strerror(errno));
		return 1;
	}
	memfd = memfd_create("udmabuf-oracle", MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, 2 * page) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		printf("no: memfd set-up failed: %s\n", strerror(errno));
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.memfd = memfd;
	c.size = 2 * page;
	buf = ioctl(dev, MY_UDMABUF_CREATE, &c);
	if (buf < 0) {
		printf("no: UDMABUF_CREATE failed: %s\n", strerror(errno));
		return 1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", buf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0)
		target[n] = 0;
	if (!strstr(target, "dmabuf")) {
		printf("no: UDMABUF_CREATE gave fd %d, but it is '%s', not a dma-buf\n", buf, target);
		return 1;
	}
	printf("yes: UDMABUF_CREATE made a %ld-byte dma-buf (%s)\n", 2 * page, target);
	return 0;
}
