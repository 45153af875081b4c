// SPDX-License-Identifier: GPL-2.0
/*
 * data-many-dmabufs: 16 dma-bufs in 16 slots of one ring, each with its
 * own DMA map (v3: one token and one attachment per slot, notes 1.2).
 * 16 reads submitted together, slot i from a device block that is not
 * block i, then 16 writes submitted together, slot i to another such
 * block: each dma-buf must hold exactly what pread(O_DIRECT) reads at its
 * block, and each written block must read back with pread as the pattern
 * of its slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define NR	16u
#define SZ	(64u << 10)

static void run(struct io_uring *ring, int op, const uint64_t *dev_off)
{
	struct io_uring_cqe *cqe;
	unsigned int i, done = 0, tries = 0;
	int ret;

	for (i = 0; i < NR; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			conf_fail("no free SQE");
		conf_prep_rw(sqe, op, conf.dev.fd, i, 0, SZ, dev_off[i]);
		sqe->user_data = i;
	}
	ret = io_uring_submit(ring);
	if (ret != (int)NR)
		conf_fail("io_uring_submit of %u: %s", NR, conf_res(ret));
	while (done < NR) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			conf_fail("io_uring_wait_cqe: %s", conf_res(ret));
		i = (unsigned int)cqe->user_data;
		ret = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (ret == -EAGAIN && tries++ < 1000) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				conf_fail("no free SQE");
			conf_prep_rw(sqe, op, conf.dev.fd, i, 0, SZ, dev_off[i]);
			sqe->user_data = i;
			if (io_uring_submit(ring) != 1)
				conf_fail("io_uring_submit of a reissue failed");
			continue;
		}
		if (ret != (int)SZ)
			conf_fail("%s on slot %u: %s", op == IORING_OP_READ_FIXED ? "READ_FIXED" :
				  "WRITE_FIXED", i, conf_res(ret));
		done++;
	}
}

int main(void)
{
	struct dmabuf_export x[NR];
	uint64_t dev_off[NR];
	unsigned char *ref, *want;
	struct io_uring ring;
	unsigned int i;

	conf_init();
	conf_need_series();
	conf_no_page_cache();
	ref = conf_alloc(SZ);
	want = conf_alloc(SZ);
	conf_ring(&ring, 64, 0);
	conf_table(&ring, NR);
	for (i = 0; i < NR; i++) {
		conf_dmabuf(&x[i], "udmabuf", SZ);
		conf_register(&ring, i, x[i].chunks[0].fd, conf.dev.fd);
		conf_cpu_begin(&x[i]);
		memset(x[i].cpu, 0xa5, SZ);
		conf_cpu_end(&x[i]);
	}
	conf_dev_pattern(&conf.dev, 0, 2 * NR * SZ, 40);

	for (i = 0; i < NR; i++)
		dev_off[i] = (uint64_t)((i * 7 + 3) % NR) * SZ;
	run(&ring, IORING_OP_READ_FIXED, dev_off);
	for (i = 0; i < NR; i++) {
		conf_pread(&conf.dev, ref, SZ, dev_off[i]);
		conf_cpu_begin(&x[i]);
		if (conf_diff(x[i].cpu, ref, SZ) >= 0)
			conf_fail("slot %u read device block %u wrong: byte %ld differs", i,
				  (unsigned int)(dev_off[i] / SZ), conf_diff(x[i].cpu, ref, SZ));
		conf_cpu_end(&x[i]);
	}

	for (i = 0; i < NR; i++) {
		dev_off[i] = (uint64_t)(NR + (i * 5 + 1) % NR) * SZ;
		conf_cpu_begin(&x[i]);
		conf_fill(x[i].cpu, SZ, 100 + i);
		conf_cpu_end(&x[i]);
	}
	run(&ring, IORING_OP_WRITE_FIXED, dev_off);
	for (i = 0; i < NR; i++) {
		conf_pread(&conf.dev, ref, SZ, dev_off[i]);
		conf_fill(want, SZ, 100 + i);
		if (conf_diff(ref, want, SZ) >= 0)
			conf_fail("slot %u wrote device block %u wrong: byte %ld differs", i,
				  (unsigned int)(dev_off[i] / SZ), conf_diff(ref, want, SZ));
	}
	free(ref);
	free(want);
	conf_pass("%u dma-bufs in %u slots: %u interleaved reads and %u interleaved writes submitted together, all data correct",
		  NR, NR, NR, NR);
}
