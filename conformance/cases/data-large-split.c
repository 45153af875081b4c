// SPDX-License-Identifier: GPL-2.0
/*
 * data-large-split: single READ_FIXED / WRITE_FIXED of 4 MiB and 8 MiB,
 * far above the controller's max transfer (queue/max_hw_sectors_kb, 512
 * KiB on QEMU's nvme), at dma-buf offsets 0 and 4096 + 512: the block
 * layer splits the dma-buf bio at max_bytes (v3 patch 4, bio_split_io_at;
 * notes 1.3) and every byte must land right (checked against pread/pwrite
 * on ordinary memory).
 *
 * On v3 such an I/O issued inline is a REQ_NOWAIT bio, which the split
 * refuses with -EAGAIN (7.2 bio_split_rw_at()); io_uring reissues it
 * internally and the reissue imports the map again: the reissue-reimport
 * reference leak (notes 1.6). The data are still right, but the map is
 * never freed, so the dma-buf is never released after the ring closes;
 * the case reports that as the known defect. The token's release work then
 * waits forever in a kworker (a hung-task report two minutes later), so
 * the case runs last in its boot.
 * conf-timeout: 240
 * conf-order: last
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const unsigned int lens[] = { 4u << 20, 8u << 20 };
	const uint64_t bufs[] = { 0, 4096 + 512 };
	unsigned int i, j, n = 0;
	unsigned long ino;
	struct conf_ctx c;
	int ret;

	conf_setup(&c, "udmabuf", 9u << 20, 8, 0, 1);
	conf_no_page_cache();
	conf_observe("max_io", "%u", conf_max_io(&conf.dev));
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_dev_pattern(&conf.dev, 0, 20u << 20, 22);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, bufs[j], lens[i],
					(uint64_t)(i + 1) << 20);
			conf_check_write(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, bufs[j],
					 lens[i], (10u << 20) + 512 * j, 30 + n);
			n += 2;
		}
	conf_observe("eagain_reissues", "%lu", conf_eagains);

	conf_may_hang("v3-reissue-reimport", "closing the ring after split I/O that v3 reissues internally");
	io_uring_queue_exit(&c.ring);
	export_free(&c.x);
	ret = conf_dmabuf_wait(ino, 0, 10000);
	conf_observe("released", "%s", ret == 0 ? "yes" : ret < 0 ? "unknown (no debugfs)" : "no");
	if (ret == 1) {
		long files = -1;
		int attached = -1;

		conf_dmabuf_find(ino, &files, &attached);
		conf_observe("leftover", "file_count=%ld attached_devices=%d", files, attached);
		conf_known("v3-reissue-reimport",
			   "%u transfers of 4 and 8 MiB, all data correct, but the dma-buf was not released 10 s after the ring closed",
			   n);
	}
	conf_pass("%u transfers of 4 and 8 MiB (split at %u bytes), all data correct%s", n,
		  conf_max_io(&conf.dev),
		  ret == 0 ? "; the dma-buf was released after the ring closed" : "");
}
