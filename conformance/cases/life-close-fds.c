// SPDX-License-Identifier: GPL-2.0
/*
 * life-close-fds: once a dma-buf is registered the ring holds its own
 * references, so closing the dma-buf fd and unmapping the memfd behind the
 * udmabuf right after registration changes nothing (notes 1.2 step 4; v3
 * io_register_dmabuf() takes the target file with fget() and
 * io_dmabuf_token_create() the dma-buf with get_dma_buf()). The engine's
 * udmabuf exporter has closed the memfd already (exp_udmabuf.c), so after
 * this the ring's registration is all that keeps the dma-buf.
 *
 * Checked: bufinfo still lists the dma-buf; a READ_FIXED into it and a
 * WRITE_FIXED out of it move the right bytes (the oracle is the device:
 * pwrite a pattern to region A, READ_FIXED A into the dma-buf, WRITE_FIXED
 * the dma-buf to region B, pread B); after the slot is emptied the dma-buf
 * leaves bufinfo within 5 s (the release is async: v3
 * io_dmabuf_token_release() queues a work). I/O stays within
 * max_sectors_kb, below the size the v3 reissue-reimport defect needs.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	size_t len = 256 << 10;
	unsigned long ino;
	char *want, *got;
	long cnt = -1, at;
	int att = -1, r;

	conf_setup(&c, "udmabuf", len, 8, 0, 1);
	if (conf_max_io(&conf.dev) < len)
		len = conf_max_io(&conf.dev);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	if (conf_dmabuf_find(ino, NULL, NULL) != 1)
		conf_skip("debugfs dma_buf/bufinfo does not list the new dma-buf (debugfs not mounted?)");
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);

	close(c.x.chunks[0].fd);
	c.x.chunks[0].fd = -1;
	if (munmap(c.x.host, c.x.host_size))
		conf_fail("munmap of the memfd mapping: %s", strerror(errno));
	c.x.host = c.x.cpu = NULL;

	r = conf_dmabuf_find(ino, &cnt, &att);
	conf_observe("after_close", "listed=%d file_count=%ld attached=%d", r, cnt, att);
	if (r != 1)
		conf_fail("the dma-buf left bufinfo when its fd was closed, with its slot still registered");

	want = conf_alloc(len);
	got = conf_alloc(len);
	conf_fill(want, len, 0x11c0fd5);
	conf_pwrite(&conf.dev, want, len, 0);
	memset(got, 0xa5, len);
	conf_pwrite(&conf.dev, got, len, len);

	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, len, 0);
	if (r != (int)len)
		conf_fail("READ_FIXED into the dma-buf after closing its fd: %s (%zu expected)",
			  conf_res(r), len);
	r = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, 0, len, len);
	if (r != (int)len)
		conf_fail("WRITE_FIXED out of the dma-buf after closing its fd: %s (%zu expected)",
			  conf_res(r), len);
	conf_pread(&conf.dev, got, len, len);
	at = conf_diff(want, got, len);
	if (at >= 0)
		conf_fail("the bytes read into the dma-buf and written back differ from the device's from offset %ld",
			  at);

	r = conf_dmabuf_find(ino, &cnt, &att);
	conf_observe("after_io", "listed=%d file_count=%ld attached=%d", r, cnt, att);
	if (r != 1)
		conf_fail("the dma-buf left bufinfo while its slot was registered");

	r = conf_unregister_slot(&c.ring, 0);
	if (r != 1)
		conf_fail("emptying the slot: %s (1 expected)", conf_res(r));
	r = conf_dmabuf_wait(ino, 0, 5000);
	if (r != 0)
		conf_fail("the dma-buf is still in bufinfo 5 s after its slot was emptied (a leaked reference)");
	conf_pass("with its fd closed and the memfd unmapped the registered dma-buf moved %zu bytes each way correctly, stayed listed, and was released once its slot was emptied",
		  len);
}
