// SPDX-License-Identifier: GPL-2.0
/*
 * data-lba-4096: the grid (see data-grid) on a namespace with 4096-byte
 * logical blocks (CONF_DEV4K): device offsets and lengths in 4 KiB units,
 * dma-buf offsets including 4 and 512 (the dma-buf offset is bound by the
 * nvme dma_alignment of 4 bytes, not by the LBA; notes 1.3). Then the
 * refusals the LBA dictates: a 512-byte length and a 512-byte device
 * offset are -EINVAL (7.2 blkdev_dio_invalid()).
 * conf-timeout: 300
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const uint64_t devs[] = { 0, 4096, (1 << 20) + 3 * 4096 };
	const uint64_t bufs[] = { 0, 4, 512, 4096, 8192 + 512 };
	unsigned int lens[] = { 4096, 8192, 65536, 33 * 4096, 0 };
	struct dmabuf_export x;
	struct io_uring ring;
	unsigned int n;
	int len, off;

	conf_init();
	conf_need_series();
	conf_no_page_cache();
	conf_need_dev4k();
	conf_dmabuf(&x, "udmabuf", 1 << 20);
	conf_ring(&ring, 8, 0);
	conf_table(&ring, 1);
	lens[4] = conf_max_io(&conf.dev4k);
	conf_register(&ring, 0, x.chunks[0].fd, conf.dev4k.fd);
	conf_dev_pattern(&conf.dev4k, 0, 4 << 20, 23);
	n = conf_grid(&ring, &conf.dev4k, 0, &x, devs, 3, bufs, 5, lens, 5);
	len = conf_rw(&ring, IORING_OP_READ_FIXED, conf.dev4k.fd, 0, 0, 512, 0);
	off = conf_rw(&ring, IORING_OP_READ_FIXED, conf.dev4k.fd, 0, 0, 4096, 512);
	conf_observe("len_512", "%s", conf_res(len));
	conf_observe("off_512", "%s", conf_res(off));
	if (len != -EINVAL || off != -EINVAL)
		conf_fail("on the 4096-byte-LBA namespace: a 512-byte read %s, a read at device offset 512 %s; expected -EINVAL for both",
			  conf_res(len), conf_res(off));
	conf_pass("%u transfers on the 4096-byte-LBA namespace %s: every byte correct; 512-byte length and offset: -EINVAL",
		  n, conf.dev4k.path);
}
