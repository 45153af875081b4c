// SPDX-License-Identifier: GPL-2.0
/*
 * io-subpage-offset: a dma-buf offset of 512, aligned to the logical block
 * but not to the page, works in v3 (nvme PRP1 = dma address + offset; the
 * block layer asks only dma_alignment 3; notes 1.3 "sub-page offsets
 * work"). One-page, page-crossing and multi-page transfers, read and
 * write, at buffer offsets 512 and 4096 + 3584; data checked against
 * pread/pwrite on ordinary memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const uint64_t bufs[] = { 512, 4096 + 3584 };
	const unsigned int lens[] = { 512, 4096, 8192 + 1024, 65536 };
	const uint64_t devs[] = { 0, 1 << 20 };
	struct conf_ctx c;
	unsigned int n;

	conf_setup(&c, "udmabuf", 256 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 2 << 20, 8);
	n = conf_grid(&c.ring, &conf.dev, 0, &c.x, devs, 2, bufs, 2, lens, 4);
	conf_pass("%u transfers at dma-buf offsets 512 and 7680 (LBA-aligned, not page-aligned): correct data", n);
}
