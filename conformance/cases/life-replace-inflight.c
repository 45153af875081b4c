// SPDX-License-Identifier: GPL-2.0
/*
 * life-replace-inflight: registering dma-buf B into the slot that holds
 * dma-buf A while READ_FIXEDs on A are in flight. The update replaces the
 * slot's node (1); requests already issued keep A's node and their map
 * reference until they complete (v3: io_find_buf_node() takes the node at
 * issue, io_import_dmabuf() a map reference; the old node is put when the
 * update replaces it, and freed once its requests are gone: notes 1.2
 * step 5).
 *
 * Checked: I/O was in flight at the update (submitted minus completed);
 * every in-flight read completes within 30 s, and those that completed
 * with their length put the device's bytes (pread into ordinary memory)
 * into A, none into B; a READ_FIXED after the update lands in B; A leaves
 * bufinfo within 10 s once our fd for it is closed (the ring dropped it),
 * while B stays with one attached device; B leaves after its slot is
 * emptied. I/O stays within max_sectors_kb (the v3 reissue-reimport
 * defect needs larger I/O).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define MAX_QD	64

int main(void)
{
	unsigned int len, qd, in_flight = 0, i;
	struct dmabuf_export b_x;
	unsigned long ino_a, ino_b;
	struct conf_batch b;
	struct conf_ctx c;
	int res[MAX_QD], att = -1;
	size_t size;
	char *ref, *ref2;
	long at;
	int r;

	conf_init();
	len = conf_max_io(&conf.dev);
	if (len > (512u << 10))
		len = 512u << 10;
	size = (size_t)MAX_QD * len;
	conf_setup(&c, "udmabuf", size, 2 * MAX_QD, 0, 1);
	conf_dmabuf(&b_x, "udmabuf", size);
	ino_a = conf_dmabuf_ino(c.x.chunks[0].fd);
	ino_b = conf_dmabuf_ino(b_x.chunks[0].fd);
	if (conf_dmabuf_find(ino_a, NULL, NULL) != 1)
		conf_skip("debugfs dma_buf/bufinfo does not list the new dma-buf (debugfs not mounted?)");
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, 4096, 0);
	if (r != 4096)
		conf_fail("the first READ_FIXED (4 KiB) on A: %s", conf_res(r));

	ref = conf_alloc(size);
	conf_fill(ref, size, 0x2e91);
	conf_pwrite(&conf.dev, ref, size, 0);
	ref2 = conf_alloc(len);
	conf_fill(ref2, len, 0x2e92);
	conf_pwrite(&conf.dev, ref2, len, size);
	conf_cpu_begin(&b_x);
	memset(b_x.cpu, 0x5b, size);
	conf_cpu_end(&b_x);

	for (qd = 16; qd <= MAX_QD; qd *= 2) {
		memset(&b, 0, sizeof(b));
		b.len = len;
		b.res = res;
		conf_batch_submit(&c.ring, &b, IORING_OP_READ_FIXED, conf.dev.fd, 0, qd, 0, 0);
		in_flight = conf_batch_in_flight(&c.ring, &b);
		if (in_flight)
			break;
		if (conf_batch_reap(&c.ring, &b, 30000))
			conf_fail("%u READ_FIXEDs of %u bytes did not complete in 30 s", qd, len);
	}
	if (!in_flight)
		conf_fail("no I/O was in flight after submitting up to %u READ_FIXEDs of %u bytes: not the case it claims",
			  MAX_QD, len);
	{
		struct io_uring_regbuf_desc d = conf_desc(b_x.chunks[0].fd, conf.dev.fd);

		r = conf_update_desc(&c.ring, 0, &d);
	}
	conf_observe("in_flight", "%u", in_flight);
	conf_observe("submitted", "%u", b.submitted);
	conf_observe("replace", "%s", conf_res(r));
	if (r != 1)
		conf_fail("replacing A by B with %u I/Os in flight: %s (1 expected)", in_flight,
			  conf_res(r));
	if (conf_batch_reap(&c.ring, &b, 30000))
		conf_fail("%u of %u I/Os never completed in 30 s after their slot was replaced",
			  b.submitted - b.reaped, b.submitted);
	conf_observe("completed", "ok=%u failed=%u short=%u errors=%s", b.ok, b.failed, b.shorts,
		     conf_batch_errs(&b));
	if (b.shorts)
		conf_fail("%u I/Os completed short after their slot was replaced", b.shorts);

	conf_cpu_begin(&c.x);
	for (i = 0; i < b.submitted; i++) {
		if (res[i] != (int)len)
			continue;
		at = conf_diff((char *)c.x.cpu + (size_t)i * len, ref + (size_t)i * len, len);
		if (at >= 0)
			conf_fail("in-flight READ_FIXED %u completed but A does not hold the device's bytes (offset %ld)",
				  i, at);
	}
	conf_cpu_end(&c.x);
	conf_cpu_begin(&b_x);
	for (i = 0; i < size; i++)
		if (((unsigned char *)b_x.cpu)[i] != 0x5b)
			conf_fail("B changed at offset %u: an I/O issued before the replacement wrote into it",
				  i);
	conf_cpu_end(&b_x);

	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, len, size);
	if (r != (int)len)
		conf_fail("READ_FIXED on the replaced slot: %s", conf_res(r));
	conf_cpu_begin(&b_x);
	at = conf_diff(b_x.cpu, ref2, len);
	conf_cpu_end(&b_x);
	if (at >= 0)
		conf_fail("a READ_FIXED after the replacement did not land in B (offset %ld)", at);

	export_free(&c.x);
	r = conf_dmabuf_wait(ino_a, 0, 10000);
	if (r != 0)
		conf_fail("A is still in bufinfo 10 s after it was replaced, its I/O completed and our fd closed (a leaked reference); %u I/Os were in flight",
			  in_flight);
	r = conf_dmabuf_find(ino_b, NULL, &att);
	conf_observe("b_after", "listed=%d attached=%d", r, att);
	if (r != 1 || att != 1)
		conf_fail("B, registered in the slot, is listed %d with %d attached devices (1, 1 expected)",
			  r, att);
	r = conf_unregister_slot(&c.ring, 0);
	if (r != 1)
		conf_fail("emptying the slot: %s", conf_res(r));
	export_free(&b_x);
	if (conf_dmabuf_wait(ino_b, 0, 10000) != 0)
		conf_fail("B is still in bufinfo 10 s after its slot was emptied and our fd closed");
	conf_pass("slot replaced with %u of %u READ_FIXEDs in flight: update 1; they completed into A (%u ok, %u failed: %s), new I/O went to B; both released",
		  in_flight, b.submitted, b.ok, b.failed, conf_batch_errs(&b));
}
