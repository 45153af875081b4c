// SPDX-License-Identifier: GPL-2.0
/*
 * data-grid: the liburing-style grid on the namespace through one dma-buf
 * slot: every device offset x dma-buf offset x length below, a READ_FIXED
 * checked byte for byte against pread(O_DIRECT) into ordinary memory (and
 * the dma-buf around it left alone) and a WRITE_FIXED read back with
 * pread (and the blocks around it left alone). Lengths stay at most the
 * queue's max_sectors_kb, so no I/O needs a split (data-large-split does).
 * Buffer offsets include 4 (the smallest nvme dma_alignment allows) and
 * sub-page ones (notes 1.3).
 * conf-timeout: 300
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const uint64_t devs[] = { 0, 512, 4096 + 512, 1 << 20 };
	const uint64_t bufs[] = { 0, 4, 512, 3584, 4096, 8192 + 512 };
	unsigned int lens[] = { 512, 4096, 4096 + 512, 65536 + 512, 262144, 0 };
	struct conf_ctx c;
	unsigned int n;

	conf_setup(&c, "udmabuf", 1 << 20, 8, 0, 1);
	conf_no_page_cache();
	lens[5] = conf_max_io(&conf.dev);
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 4 << 20, 20);
	n = conf_grid(&c.ring, &conf.dev, 0, &c.x, devs, 4, bufs, 6, lens, 6);
	conf_observe("transfers", "%u", n);
	conf_observe("eagain_reissues", "%lu", conf_eagains);
	conf_pass("%u transfers (4 device offsets x 6 dma-buf offsets x 6 lengths up to %u, read and write): every byte correct",
		  n, lens[5]);
}
