// SPDX-License-Identifier: GPL-2.0
/*
 * data-write-readback: 64 WRITE_FIXED of pseudo-random length, dma-buf
 * offset and device offset (all aligned as the notes 1.3 ask, overlapping
 * one another) into a 4 MiB region of the namespace; each is read back
 * with pread(O_DIRECT) into ordinary memory, and at the end the whole
 * region must equal a model that applied the same writes in ordinary
 * memory: no write lands anywhere else. The region is then read back
 * through the dma-buf slot too, in max_sectors_kb pieces, and checked.
 * conf-timeout: 180
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define REGION	(4u << 20)
#define BUF	(1u << 20)

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int main(void)
{
	unsigned char *model, *dev;
	unsigned int i, max;
	uint64_t off;
	uint32_t s = 0x12345678;
	struct conf_ctx c;
	long at;

	conf_setup(&c, "udmabuf", BUF, 8, 0, 1);
	conf_no_page_cache();
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	max = conf_max_io(&conf.dev);
	if (max > 256u << 10)
		max = 256u << 10;
	model = conf_alloc(REGION);
	dev = conf_alloc(REGION);
	conf_fill(model, REGION, 21);
	conf_pwrite(&conf.dev, model, REGION, 0);
	for (i = 0; i < 64; i++) {
		unsigned int len = (rnd(&s) % (max / 512) + 1) * 512;
		uint64_t buf_off = (rnd(&s) % ((BUF - len) / 4 + 1)) * 4;
		uint64_t dev_off = (uint64_t)(rnd(&s) % ((REGION - len) / 512 + 1)) * 512;

		conf_check_write(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, buf_off, len, dev_off,
				 1000 + i);
		conf_fill(model + dev_off, len, 1000 + i);
	}
	conf_pread(&conf.dev, dev, REGION, 0);
	at = conf_diff(dev, model, REGION);
	if (at >= 0)
		conf_fail("after 64 writes the region differs from the model at byte %ld", at);
	for (off = 0; off < REGION; off += max)
		conf_check_read(&c.ring, &conf.dev, conf.dev.fd, 0, &c.x, 0,
				REGION - off < max ? REGION - off : max, off);
	free(model);
	free(dev);
	conf_observe("eagain_reissues", "%lu", conf_eagains);
	conf_pass("64 overlapping WRITE_FIXED of up to %u bytes: each read back right, the 4 MiB region equals the model, and reads back right through the slot",
		  max);
}
