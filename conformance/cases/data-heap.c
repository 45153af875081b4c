// SPDX-License-Identifier: GPL-2.0
/*
 * data-heap: the data check of data-grid (a smaller grid) with a dma-buf from
 * the system DMA heap (/dev/dma_heap/system) instead of udmabuf: the token maps whatever
 * sg table the exporter gives (v3 patch 7, nvme_dmabuf_token_map: DMA
 * segments must be 4 KiB multiples; notes 1.3, 3). Skips when the exporter
 * is missing.
 * conf-timeout: 180
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const uint64_t devs[] = { 0, 512, 1 << 20 };
	const uint64_t bufs[] = { 0, 4, 512, 4096 + 3584 };
	unsigned int lens[] = { 512, 4096, 65536 + 512, 0 };
	struct conf_ctx c;
	unsigned int n;

	conf_setup(&c, "heap", 1 << 20, 8, 0, 1);
	conf_no_page_cache();
	lens[3] = conf_max_io(&conf.dev);
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 2 << 20, 24);
	n = conf_grid(&c.ring, &conf.dev, 0, &c.x, devs, 3, bufs, 4, lens, 4);
	conf_pass("%u transfers through a %s dma-buf: every byte correct", n, "heap");
}
