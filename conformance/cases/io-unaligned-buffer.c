// SPDX-License-Identifier: GPL-2.0
/*
 * io-unaligned-buffer: a dma-buf offset of 2 (below nvme's dma_alignment
 * of 4 bytes): -EINVAL, read and write (v3 patch 4, bio_split_io_at(): a
 * BIO_DMABUF_MAP bio whose bi_bvec_done & lim->dma_alignment is refused;
 * notes 1.3). Nothing reaches the device: a refused write leaves it as
 * it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	unsigned char *pre, *post;
	struct conf_ctx c;
	int rd, wr;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 64 << 10, 9);
	/* a good I/O first, so the slot has its DMA map */
	conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0, 4096, 0);
	pre = conf_alloc(8192);
	post = conf_alloc(8192);
	conf_pread(&conf.dev, pre, 8192, 0);
	rd = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 2, 4096, 0);
	conf_cpu_begin(&c.x);
	conf_fill(c.x.cpu, 8192, 11);
	conf_cpu_end(&c.x);
	wr = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, 2, 4096, 0);
	conf_observe("read", "%s", conf_res(rd));
	conf_observe("write", "%s", conf_res(wr));
	conf_pread(&conf.dev, post, 8192, 0);
	if (wr == 4096) {
		long at;

		conf_cpu_begin(&c.x);
		at = conf_diff(post, (char *)c.x.cpu + 2, 4096);
		conf_cpu_end(&c.x);
		if (at >= 0)
			conf_fail("FINDING: a WRITE_FIXED from dma-buf offset 2 was accepted and wrote wrong data (device byte %ld differs from dma-buf byte %ld)",
				  at, at + 2);
		conf_fail("a WRITE_FIXED from dma-buf offset 2 was accepted (correct data); v3 refuses it with -EINVAL");
	}
	if (wr < 0 && memcmp(pre, post, 8192))
		conf_fail("a refused WRITE_FIXED from dma-buf offset 2 (%s) changed the device", conf_res(wr));
	if (rd != wr)
		conf_fail("dma-buf offset 2: READ_FIXED %s, WRITE_FIXED %s, expected -EINVAL for both",
			  conf_res(rd), conf_res(wr));
	free(pre);
	free(post);
	conf_expect(rd, -EINVAL, "READ_FIXED/WRITE_FIXED of 4 KiB at dma-buf offset 2");
}
