// SPDX-License-Identifier: GPL-2.0
/*
 * fault-fail-make-request: block-layer fault injection
 * (CONFIG_FAIL_MAKE_REQUEST: /sys/kernel/debug/fail_make_request/ and the
 * disk's make-it-fail) on dma-buf I/O. A failed bio ends with
 * BLK_STS_IOERR before it reaches the driver (submit_bio_noacct():
 * should_fail_bio()), so READ_FIXED and WRITE_FIXED through the dma-buf
 * slot complete with -EIO while the injection is on, and the dma-buf is
 * not written; once off, the same slot works again with the device's
 * bytes (pread oracle), and the dma-buf is released after the slot is
 * emptied (a failed request drops its map reference like any other).
 * Skips where the kernel lacks CONFIG_FAIL_MAKE_REQUEST (no debugfs
 * directory; /proc/config.gz says why when it is there). The injection
 * settings are restored at exit.
 *
 * conf-order: last
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define FMR	"/sys/kernel/debug/fail_make_request/"
#define LEN	(64u << 10)

static const char *const knobs[] = { "probability", "interval", "times", "verbose" };
static char saved[4][64];
static char mif[PATH_MAX];
static int armed;

static void restore(void)
{
	char p[128];
	unsigned int i;

	if (!armed)
		return;
	conf_write_file(mif, "0");
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), FMR "%s", knobs[i]);
		conf_write_file(p, saved[i]);
	}
}

static const char *config_says(void)
{
	FILE *f = popen("zcat /proc/config.gz 2>/dev/null | grep -E '^(# )?CONFIG_FAIL_MAKE_REQUEST[= ]'", "r");
	static char line[128];

	if (!f)
		return "no /proc/config.gz";
	if (!fgets(line, sizeof(line), f))
		snprintf(line, sizeof(line), "no CONFIG_FAIL_MAKE_REQUEST line in /proc/config.gz (or none readable)");
	line[strcspn(line, "\n")] = 0;
	pclose(f);
	return line;
}

int main(void)
{
	static const char *const on[] = { "100", "1", "-1", "0" };
	char real[PATH_MAX], p[128], *ref, *sentinel;
	struct conf_ctx c;
	unsigned long ino;
	unsigned int i;
	int rd, wr, r;

	conf_init();
	conf_need_series();
	if (access(FMR "probability", W_OK))
		conf_skip("no %s (%s): the kernel lacks CONFIG_FAIL_MAKE_REQUEST (%s)", FMR,
			  strerror(errno), config_says());
	if (!realpath(conf.dev.path, real))
		conf_skip("realpath %s: %s", conf.dev.path, strerror(errno));
	snprintf(mif, sizeof(mif), "/sys/class/block/%s/make-it-fail", basename(real));
	if (access(mif, W_OK))
		conf_skip("%s: %s", mif, strerror(errno));
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), FMR "%s", knobs[i]);
		if (conf_read_file(p, saved[i], sizeof(saved[i])))
			conf_fail("reading %s: %s", p, strerror(errno));
	}
	conf_setup(&c, "udmabuf", 2 * LEN, 8, 0, 1);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, 4096, 0);
	if (r != 4096)
		conf_fail("the first READ_FIXED (4 KiB), before any injection: %s", conf_res(r));
	ref = conf_alloc(LEN);
	sentinel = conf_alloc(LEN);
	conf_fill(ref, LEN, 0xfa11);
	conf_pwrite(&conf.dev, ref, LEN, 0);
	memset(sentinel, 0x6d, LEN);
	conf_cpu_begin(&c.x);
	memcpy(c.x.cpu, sentinel, LEN);
	memcpy((char *)c.x.cpu + LEN, ref, LEN);
	conf_cpu_end(&c.x);

	armed = 1;
	atexit(restore);
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), FMR "%s", knobs[i]);
		r = conf_write_file(p, on[i]);
		if (r)
			conf_fail("writing %s to %s: %s", on[i], p, conf_res(r));
	}
	r = conf_write_file(mif, "1");
	if (r)
		conf_fail("writing 1 to %s: %s", mif, conf_res(r));
	rd = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, LEN, 0);
	wr = conf_rw(&c.ring, IORING_OP_WRITE_FIXED, conf.dev.fd, 0, LEN, LEN, LEN);
	restore();
	armed = 0;
	conf_observe("injected", "read=%s write=%s", conf_res(rd), conf_res(wr));
	if (rd != -EIO || wr != -EIO)
		conf_fail("with fail_make_request on (probability 100, make-it-fail 1): READ_FIXED %s, WRITE_FIXED %s (-EIO expected for both)",
			  conf_res(rd), conf_res(wr));
	conf_cpu_begin(&c.x);
	r = memcmp(c.x.cpu, sentinel, LEN);
	conf_cpu_end(&c.x);
	if (r)
		conf_fail("a READ_FIXED failed by injection changed the dma-buf");

	rd = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, LEN, 0);
	conf_observe("after", "read=%s", conf_res(rd));
	if (rd != (int)LEN)
		conf_fail("READ_FIXED after the injection was turned off: %s", conf_res(rd));
	conf_cpu_begin(&c.x);
	r = memcmp(c.x.cpu, ref, LEN);
	conf_cpu_end(&c.x);
	if (r)
		conf_fail("READ_FIXED after the injection was turned off did not bring the device's bytes");
	if (conf_unregister_slot(&c.ring, 0) != 1)
		conf_fail("emptying the slot failed");
	export_free(&c.x);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the dma-buf is still in bufinfo 10 s after its slot was emptied (a failed request's map reference leaked?)");
	conf_pass("with fail_make_request on, READ_FIXED and WRITE_FIXED through the dma-buf gave -EIO and left it untouched; off again, the slot read the device's bytes; released");
}
