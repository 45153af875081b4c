// SPDX-License-Identifier: GPL-2.0
/*
 * vm-probe: does the running kernel have the io_uring dma-buf buffer API
 * (IORING_REGISTER_BUFFERS_UPDATE with IORING_RSRC_UPDATE_EXTENDED)?
 *
 * Registers a one-slot sparse buffer table and updates the slot with one
 * extended descriptor of type 0 (empty). A kernel with the API returns 1
 * (one slot updated); one without it rejects the unknown flag with -EINVAL.
 *
 * Prints one line and exits 0 = present, 1 = absent, 2 = could not tell.
 * scripts/vm builds it into build/vm-probe and runs it inside the guest.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

/* Our own copies of the UAPI pieces: Debian 12's headers predate them. */
#define PROBE_REGISTER_BUFFERS2		15
#define PROBE_REGISTER_BUFFERS_UPDATE	16
#define PROBE_RSRC_REGISTER_SPARSE	(1U << 0)
#define PROBE_RSRC_UPDATE_EXTENDED	(1U << 1)
#define PROBE_REGBUF_TYPE_EMPTY		0

struct probe_rsrc_register {
	uint32_t nr;
	uint32_t flags;
	uint64_t resv2;
	uint64_t data;
	uint64_t tags;
};

struct probe_rsrc_update2 {
	uint32_t offset;
	uint32_t flags;
	uint64_t data;
	uint64_t tags;
	uint32_t nr;
	uint32_t resv2;
};

struct probe_regbuf_desc {
	uint32_t type;
	uint32_t flags;
	uint64_t size;
	uint64_t uaddr;
	int32_t dmabuf_fd;
	int32_t target_fd;
	uint64_t resv[6];
};

_Static_assert(sizeof(struct probe_rsrc_register) == 32, "rsrc_register size");
_Static_assert(sizeof(struct probe_rsrc_update2) == 32, "rsrc_update2 size");
_Static_assert(sizeof(struct probe_regbuf_desc) == 80, "regbuf_desc size");

/* struct io_uring_params is 120 bytes; only its size matters here. */
struct probe_params {
	uint32_t words[30];
};

static int ring_register(int fd, unsigned int op, void *arg, unsigned int nr)
{
	long ret = syscall(__NR_io_uring_register, fd, op, arg, nr);

	return ret < 0 ? -errno : (int)ret;
}

int main(void)
{
	struct probe_params params;
	struct probe_rsrc_register reg;
	struct probe_rsrc_update2 up;
	struct probe_regbuf_desc desc;
	int fd, ret;

	memset(&params, 0, sizeof(params));
	fd = syscall(__NR_io_uring_setup, 1, &params);
	if (fd < 0) {
		ret = errno;
		if (ret == ENOSYS || ret == EPERM) {
			printf("absent (io_uring is unavailable: %s)\n", strerror(ret));
			return 1;
		}
		printf("unknown (io_uring_setup: %s)\n", strerror(ret));
		return 2;
	}

	memset(&reg, 0, sizeof(reg));
	reg.nr = 1;
	reg.flags = PROBE_RSRC_REGISTER_SPARSE;
	ret = ring_register(fd, PROBE_REGISTER_BUFFERS2, &reg, sizeof(reg));
	if (ret < 0) {
		printf("unknown (sparse buffer table: %s)\n", strerror(-ret));
		close(fd);
		return 2;
	}

	memset(&desc, 0, sizeof(desc));
	desc.type = PROBE_REGBUF_TYPE_EMPTY;
	memset(&up, 0, sizeof(up));
	up.offset = 0;
	up.flags = PROBE_RSRC_UPDATE_EXTENDED;
	up.data = (uint64_t)(uintptr_t)&desc;
	up.nr = 1;
	ret = ring_register(fd, PROBE_REGISTER_BUFFERS_UPDATE, &up, sizeof(up));
	close(fd);

	if (ret == 1) {
		printf("present\n");
		return 0;
	}
	if (ret == -EINVAL) {
		printf("absent (the kernel rejects IORING_RSRC_UPDATE_EXTENDED)\n");
		return 1;
	}
	printf("unknown (extended buffer update returned %d: %s)\n", ret,
	       ret < 0 ? strerror(-ret) : "unexpected count");
	return 2;
}
