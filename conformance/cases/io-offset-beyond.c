// SPDX-License-Identifier: GPL-2.0
/*
 * io-offset-beyond: READ_FIXED / WRITE_FIXED whose dma-buf offset (sqe->addr)
 * is at or past the end of the dma-buf: -EFAULT (v3 io_import_fixed ->
 * validate_fixed_range(); notes 1.3, 1.5). Offsets: the size itself, size +
 * 4 KiB, and one whose addr + len wraps around 2^64.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const size_t size = 64 << 10;
	const uint64_t offs[] = { size, size + 4096, ~0ull - 511 };
	struct conf_ctx c;
	unsigned int i;
	int op, ret;

	conf_setup(&c, "udmabuf", size, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (op = IORING_OP_READ_FIXED; op <= IORING_OP_WRITE_FIXED; op++) {
			ret = conf_rw(&c.ring, op, conf.dev.fd, 0, offs[i], 4096, 0);
			if (ret != -EFAULT)
				conf_fail("%s of 4 KiB at dma-buf offset %llu (size %zu): %s, expected -EFAULT",
					  op == IORING_OP_READ_FIXED ? "READ_FIXED" : "WRITE_FIXED",
					  (unsigned long long)offs[i], size, conf_res(ret));
		}
	}
	conf_pass("READ_FIXED/WRITE_FIXED at dma-buf offsets size, size+4096 and 2^64-512: -EFAULT, as documented");
}
