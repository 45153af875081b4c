// SPDX-License-Identifier: GPL-2.0
/*
 * io-unaligned-device-offset: a device offset (sqe->off) that is not a
 * multiple of the logical block size, and a length that is not: -EINVAL,
 * read and write (7.2 block/fops.c blkdev_dio_invalid(), which the
 * dma-buf path goes through; notes 1.3 "device offset and length must be
 * multiples of the logical block size").
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	int op;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 10);
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 0);
	for (op = IORING_OP_READ_FIXED; op <= IORING_OP_WRITE_FIXED; op++) {
		const char *name = op == IORING_OP_READ_FIXED ? "READ_FIXED" : "WRITE_FIXED";
		int ret = conf_rw(&c.ring, op, conf.dev.fd, 0, 0, 4096, conf.dev.lba / 2);
		conf_observe(op == IORING_OP_READ_FIXED ? "read_off" : "write_off", "%s",
			     conf_res(ret));
		if (ret != -EINVAL)
			conf_fail("%s of 4 KiB at device offset %u (LBA %u): %s, expected -EINVAL",
				  name, conf.dev.lba / 2, conf.dev.lba, conf_res(ret));
		ret = conf_rw(&c.ring, op, conf.dev.fd, 0, 0, conf.dev.lba + conf.dev.lba / 2, 0);
		conf_observe(op == IORING_OP_READ_FIXED ? "read_len" : "write_len", "%s",
			     conf_res(ret));
		if (ret != -EINVAL)
			conf_fail("%s of %u bytes (LBA %u) at device offset 0: %s, expected -EINVAL",
				  name, conf.dev.lba + conf.dev.lba / 2, conf.dev.lba, conf_res(ret));
	}
	conf_pass("READ_FIXED/WRITE_FIXED at a device offset or of a length that is not a multiple of the %u-byte LBA: -EINVAL, as documented",
		  conf.dev.lba);
}
