// SPDX-License-Identifier: GPL-2.0
/*
 * io-zero-length: READ_FIXED and WRITE_FIXED of 0 bytes on a dma-buf slot.
 * The series' own io_import_dmabuf() refuses len 0 with -EFAULT (v3 patch
 * 10), but in v3 that check is unreachable: io_import_fixed() returns an
 * empty iterator for len 0 before the dma-buf branch (notes 1.3: "len == 0
 * returns before the dmabuf code"), and blkdev_direct_IO() then completes
 * 0 bytes. So v3 gives 0; a version that moves the check up gives -EFAULT.
 * Either is accepted; the CQE must not be anything else, and the slot must
 * still work after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	int rd, wr;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 6);
	/* once on a slot that has no DMA map yet, once on one that has */
	rd = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, 0, 0);
	conf_observe("read_len0_cold", "%s", conf_res(rd));
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 0);
	rd = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 4096, 0, 4096);
	wr = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, 4096, 0, 4096);
	conf_observe("read_len0", "%s", conf_res(rd));
	conf_observe("write_len0", "%s", conf_res(wr));
	if (rd != wr)
		conf_fail("zero-length READ_FIXED gave %s, WRITE_FIXED %s: they should agree",
			  conf_res(rd), conf_res(wr));
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 8192, 4096, 8192);
	conf_expect_either(rd, 0, -EFAULT, "the series' io_import_dmabuf check",
			   "zero-length READ_FIXED/WRITE_FIXED on a dma-buf slot");
}
