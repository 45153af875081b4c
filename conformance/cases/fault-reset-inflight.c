// SPDX-License-Identifier: GPL-2.0
/*
 * fault-reset-inflight: a controller reset (sysfs reset_controller of
 * CONF_DEV's controller) with READ_FIXEDs on a dma-buf slot in flight.
 * nvme-pci cancels what the controller holds and the block layer retries
 * it once the controller is live again, so the in-flight reads are
 * expected to complete, either with their length or a negative errno; v3
 * keeps the dma-buf's DMA map across the reset (no reset handling in the
 * series before v7, which "detaches the dma-buf on nvme reset"), so I/O
 * through the old registration afterwards should still work; v7 may
 * instead make it fail or remap.
 *
 * Recorded: the in-flight count at the reset, the errnos seen, how long
 * the reset took, whether I/O through the old registration works after
 * recovery. Fails on a hang (each wait is bounded), on an I/O that
 * reports its length with wrong bytes (pread oracle), or when the
 * controller does not come back live within 60 s. I/O stays within
 * max_sectors_kb (the v3 reissue-reimport defect needs larger I/O).
 *
 * conf-order: last
 * conf-timeout: 180
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define MAX_QD	64

static char reset_path[PATH_MAX];

static long do_reset(void *arg)
{
	(void)arg;
	return conf_write_file(reset_path, "1");
}

/* one fixed I/O, bounded: its result, or -ETIME */
static int rw_bounded(struct io_uring *ring, int op, unsigned int len, uint64_t buf_off,
		      uint64_t dev_off)
{
	struct conf_batch b;
	int res = -ENODATA;

	memset(&b, 0, sizeof(b));
	b.len = len;
	b.res = &res;
	conf_batch_submit(ring, &b, op, conf.dev.fd, 0, 1, buf_off, dev_off);
	if (conf_batch_reap(ring, &b, 30000))
		return -ETIME;
	return res;
}

int main(void)
{
	char real[PATH_MAX], link[PATH_MAX], state_path[PATH_MAX + 16], state[64] = "";
	unsigned int len, qd, in_flight = 0, i, ok_right = 0;
	const char *ctrl;
	struct conf_batch b;
	struct conf_ctx c;
	int res[MAX_QD], r, after_read, after_write;
	uint64_t t0, end;
	unsigned long ino;
	char *ref, *got;
	long ret;

	conf_init();
	if (!realpath(conf.dev.path, real))
		conf_skip("realpath %s: %s", conf.dev.path, strerror(errno));
	snprintf(link, sizeof(link), "/sys/class/block/%s/device", basename(real));
	if (!realpath(link, real))
		conf_skip("%s: %s (not an nvme namespace?)", link, strerror(errno));
	ctrl = basename(real);
	snprintf(reset_path, sizeof(reset_path), "/sys/class/nvme/%s/reset_controller", ctrl);
	snprintf(state_path, sizeof(state_path), "/sys/class/nvme/%s/state", ctrl);
	if (access(reset_path, W_OK))
		conf_skip("%s: %s", reset_path, strerror(errno));
	len = conf_max_io(&conf.dev);
	if (len > (512u << 10))
		len = 512u << 10;
	conf_setup(&c, "udmabuf", (size_t)MAX_QD * len, 2 * MAX_QD, 0, 1);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, 4096, 0);
	if (r != 4096)
		conf_fail("the first READ_FIXED (4 KiB): %s", conf_res(r));
	ref = conf_alloc((size_t)MAX_QD * len);
	got = conf_alloc(len);
	conf_fill(ref, (size_t)MAX_QD * len, 0xf4e5);
	conf_pwrite(&conf.dev, ref, (size_t)MAX_QD * len, 0);

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
		conf_fail("no I/O was in flight after submitting up to %u READ_FIXEDs: not the case it claims",
			  MAX_QD);
	conf_observe("controller", "%s", ctrl);
	conf_observe("in_flight", "%u", in_flight);
	conf_may_hang("v3-nvme-reset", "reset of %s with %u dma-buf READ_FIXEDs in flight", ctrl,
		      in_flight);
	t0 = conf_now_ns();
	if (!conf_timed_call(do_reset, NULL, 60000, &ret))
		conf_fail("writing 1 to %s with %u dma-buf reads in flight did not return in 60 s",
			  reset_path, in_flight);
	conf_observe("reset_write", "%s", conf_res((int)ret));
	conf_observe("reset_ms", "%llu", (unsigned long long)(conf_now_ns() - t0) / 1000000);
	if (ret)
		conf_fail("writing 1 to %s: %s", reset_path, conf_res((int)ret));
	if (conf_batch_reap(&c.ring, &b, 60000))
		conf_fail("%u of %u in-flight READ_FIXEDs never completed in 60 s after the reset",
			  b.submitted - b.reaped, b.submitted);
	conf_observe("completed", "ok=%u failed=%u short=%u errors=%s", b.ok, b.failed, b.shorts,
		     conf_batch_errs(&b));
	end = conf_now_ns() + 60000000000ull;
	while (conf_read_file(state_path, state, sizeof(state)) == 0 && strcmp(state, "live") &&
	       conf_now_ns() < end)
		usleep(50000);
	conf_observe("state_after", "%s", state);
	if (strcmp(state, "live"))
		conf_fail("%s is '%s' 60 s after the reset", ctrl, state);

	conf_cpu_begin(&c.x);
	for (i = 0; i < b.submitted; i++) {
		if (res[i] != (int)len)
			continue;
		if (memcmp((char *)c.x.cpu + (size_t)i * len, ref + (size_t)i * len, len))
			conf_fail("READ_FIXED %u in flight over the reset completed with its length but not the device's bytes",
				  i);
		ok_right++;
	}
	conf_cpu_end(&c.x);

	/* the old registration after recovery */
	conf_fill(ref, len, 0xf4e6);
	conf_pwrite(&conf.dev, ref, len, 0);
	after_read = rw_bounded(&c.ring, IORING_OP_READ_FIXED, len, 0, 0);
	conf_observe("read_after_reset", "%s", conf_res(after_read));
	if (after_read == -ETIME)
		conf_fail("a READ_FIXED through the old registration after the reset did not complete in 30 s");
	if (after_read == (int)len) {
		conf_cpu_begin(&c.x);
		r = memcmp(c.x.cpu, ref, len);
		conf_cpu_end(&c.x);
		if (r)
			conf_fail("a READ_FIXED through the old registration after the reset returned its length but not the device's bytes");
	}
	after_write = rw_bounded(&c.ring, IORING_OP_WRITE_FIXED, len, 0, len);
	conf_observe("write_after_reset", "%s", conf_res(after_write));
	if (after_write == -ETIME)
		conf_fail("a WRITE_FIXED through the old registration after the reset did not complete in 30 s");
	if (after_write == (int)len && after_read == (int)len) {
		conf_pread(&conf.dev, got, len, len);
		if (memcmp(got, ref, len))
			conf_fail("a WRITE_FIXED through the old registration after the reset returned its length but the device holds other bytes");
	}
	conf_pread(&conf.dev, got, len, 0);
	if (conf_unregister_slot(&c.ring, 0) != 1)
		conf_fail("emptying the slot after the reset failed");
	export_free(&c.x);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the dma-buf is still in bufinfo 10 s after its slot was emptied (after the reset)");
	conf_pass("reset of %s with %u of %u READ_FIXEDs in flight: all completed (%u with the device's bytes, %u failed: %s); controller live again; old registration after: read %s, write %s; released",
		  ctrl, in_flight, b.submitted, ok_right, b.failed, conf_batch_errs(&b),
		  conf_res(after_read), conf_res(after_write));
}
