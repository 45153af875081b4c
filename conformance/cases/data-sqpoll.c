// SPDX-License-Identifier: GPL-2.0
/*
 * data-sqpoll: the dma-buf slot on an IORING_SETUP_SQPOLL ring. The SQ
 * thread issues inline, so the first I/O's map is built after a punt to
 * io-wq (notes 1.6 "SQPOLL: allowed; map creation punts to io-wq"): a
 * small grid of reads and writes, then 64 reads submitted together; all
 * data checked against pread/pwrite on ordinary memory.
 * conf-timeout: 180
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	const uint64_t devs[] = { 0, 1 << 20 };
	const uint64_t bufs[] = { 0, 512, 4096 };
	const unsigned int lens[] = { 4096, 65536 + 512 };
	struct conf_ctx c;
	unsigned int n, in_flight;

	conf_setup(&c, "udmabuf", 1 << 20, 128, IORING_SETUP_SQPOLL, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	conf_dev_pattern(&conf.dev, 0, 2 << 20, 27);
	n = conf_grid(&c.ring, &conf.dev, 0, &c.x, devs, 2, bufs, 3, lens, 2);
	in_flight = conf_check_batch_read(&c.ring, &conf.dev, 0, &c.x, 64, 16384, 0, 0);
	conf_observe("batch_in_flight", "%u", in_flight);
	conf_observe("eagain_reissues", "%lu", conf_eagains);
	conf_pass("SQPOLL ring: %u grid transfers and 64 reads together, all data correct", n);
}
