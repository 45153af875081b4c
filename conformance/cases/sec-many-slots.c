// SPDX-License-Identifier: GPL-2.0
/*
 * sec-many-slots: how far one process can go registering large dma-bufs
 * into many slots, each with a first I/O that builds its DMA map. v3 makes
 * a token and an attachment per registration and a map per slot at its
 * first I/O (nvme_dmabuf_token_map(): a dma_list of 8 bytes per 4 KiB
 * page from kmalloc_array(), plus the exporter's sg_table), none of it
 * charged to the process. Four 64 MiB udmabufs are registered round-robin
 * into a table of IORING_MAX_REG_BUFFERS (16384) slots until the kernel
 * refuses (a registration or a first I/O fails), the table is full,
 * 20 s pass, or MemAvailable falls below a quarter of MemTotal (a bound set
 * here so that the guest is not driven into the OOM killer).
 *
 * Checked: a refusal is a clean negative errno (and the runner checks the
 * kernel log for warnings); each first I/O (a 4 KiB READ_FIXED) brings the
 * device's bytes (pread oracle); unregistering the table releases every
 * dma-buf (bufinfo back to its count before within 30 s). Recorded: slots
 * and bytes mapped, why it stopped, memory before and after.
 *
 * Where the release does not finish, the case counts the kworkers blocked
 * in io_dmabuf_token_release_work (/proc/PID/stack) and fails with a
 * FINDING: each token's release work waits for the dma-buf's map fences,
 * which io_dmabuf_map_release_work signals from the same system
 * workqueue; with more release works blocked than the workqueue's
 * max_active, the works that would signal them never run. The guest's
 * system workqueue then stays clogged, hence:
 *
 * conf-order: last
 * conf-timeout: 150
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define NBUF		4
#define BUF_SIZE	(64u << 20)
#define SLOTS		16384u
#define SECONDS		20

static unsigned long ino_of[NBUF];

static long meminfo_kb(const char *key)
{
	char line[128];
	long kb = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* kworkers whose stack holds fn, or -1 */
static int kworkers_in(const char *fn)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], buf[4096];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		FILE *f;
		size_t len;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (conf_read_file(path, buf, sizeof(buf)) || strncmp(buf, "kworker", 7))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stack", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		buf[len] = 0;
		fclose(f);
		n += strstr(buf, fn) != NULL;
	}
	closedir(d);
	return n;
}

int main(void)
{
	struct dmabuf_export x[NBUF];
	struct conf_ctx c;
	char why[160] = "", *ref;
	long total, avail0, avail, slab0, slab, before, n;
	unsigned int slot, i;
	uint64_t end, t0;
	int r, refused = 0;

	before = conf_dmabuf_count(NULL);
	conf_setup(&c, "udmabuf", BUF_SIZE, 8, 0, SLOTS);
	if (before < 0)
		conf_skip("debugfs dma_buf/bufinfo is not readable (debugfs not mounted?)");
	x[0] = c.x;
	for (i = 1; i < NBUF; i++)
		conf_dmabuf(&x[i], "udmabuf", BUF_SIZE);
	for (i = 0; i < NBUF; i++)
		ino_of[i] = conf_dmabuf_ino(x[i].chunks[0].fd);
	ref = conf_alloc(BUF_SIZE);
	conf_fill(ref, BUF_SIZE, 0x5107);
	conf_pwrite(&conf.dev, ref, BUF_SIZE, 0);
	total = meminfo_kb("MemTotal");
	avail0 = meminfo_kb("MemAvailable");
	slab0 = meminfo_kb("Slab");

	t0 = conf_now_ns();
	end = t0 + SECONDS * 1000000000ull;
	for (slot = 0; slot < SLOTS; slot++) {
		struct io_uring_regbuf_desc d = conf_desc(x[slot % NBUF].chunks[0].fd, conf.dev.fd);
		uint64_t off = (uint64_t)(slot / NBUF) * 4096 % BUF_SIZE;

		r = conf_update_desc(&c.ring, slot, &d);
		if (r != 1) {
			snprintf(why, sizeof(why), "registering slot %u: %s", slot, conf_res(r));
			refused = r < 0 ? r : -EPROTO;
			break;
		}
		r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, slot, off, 4096, off);
		if (r != 4096) {
			snprintf(why, sizeof(why), "the first I/O on slot %u: %s", slot, conf_res(r));
			refused = r < 0 ? r : -EPROTO;
			slot++;	/* registered, not mapped */
			break;
		}
		if (memcmp((char *)x[slot % NBUF].cpu + off, ref + off, 4096))
			conf_fail("the first READ_FIXED on slot %u did not bring the device's bytes", slot);
		if (slot % 32 == 31) {
			avail = meminfo_kb("MemAvailable");
			if (avail >= 0 && total > 0 && avail < total / 4) {
				snprintf(why, sizeof(why), "bound: MemAvailable %ld kB < MemTotal/4", avail);
				slot++;
				break;
			}
			if (conf_now_ns() > end) {
				snprintf(why, sizeof(why), "bound: %d s", SECONDS);
				slot++;
				break;
			}
		}
	}
	if (!why[0])
		snprintf(why, sizeof(why), "bound: the table's %u slots", SLOTS);
	avail = meminfo_kb("MemAvailable");
	slab = meminfo_kb("Slab");
	conf_observe("slots", "%u", slot);
	conf_observe("bytes_registered", "%llu", (unsigned long long)slot * BUF_SIZE);
	conf_observe("stopped", "%s", why);
	conf_observe("seconds", "%.1f", (conf_now_ns() - t0) / 1e9);
	conf_observe("mem_available_kb", "%ld -> %ld", avail0, avail);
	conf_observe("slab_kb", "%ld -> %ld", slab0, slab);
	if (refused == -EPROTO)
		conf_fail("stopped at %s: neither success nor a negative errno", why);
	if (refused && refused != -ENOMEM && refused != -ENOSPC && refused != -EINVAL &&
	    refused != -EMFILE && refused != -ENFILE && refused != -EOVERFLOW && refused != -E2BIG)
		conf_fail("stopped at %s: not the errno of a resource limit", why);

	t0 = conf_now_ns();
	r = io_uring_unregister_buffers(&c.ring);
	if (r)
		conf_fail("unregistering the table of %u dma-buf slots: %s", slot, conf_res(r));
	for (i = 0; i < NBUF; i++)
		export_free(&x[i]);
	n = conf_dmabuf_count_wait(before, 30000);
	conf_observe("release_ms", "%llu", (unsigned long long)(conf_now_ns() - t0) / 1000000);
	if (n != before) {
		int att, left = 0, stuck = kworkers_in("io_dmabuf_token_release_work");

		for (i = 0; i < NBUF; i++) {
			att = 0;
			if (conf_dmabuf_find(ino_of[i], NULL, &att) == 1)
				left += att;
		}
		conf_observe("attachments_left", "%d", left);
		conf_observe("kworkers_blocked_in_token_release", "%d", stuck);
		if (stuck > 0)
			conf_fail("FINDING: unregistering a table of %u mapped dma-buf slots never finished: 30 s later %d attachments remain and %d kworkers are blocked in io_dmabuf_token_release_work (waiting on map fences that io_dmabuf_map_release_work, queued behind them on the same system workqueue, would signal); the dma-bufs stay pinned and the system workqueue stalls",
				  slot, left, stuck);
		conf_fail("bufinfo lists %ld dma-bufs 30 s after the table of %u slots was unregistered, %ld before (%d attachments left)",
			  n, slot, before, left);
	}
	conf_pass("%u slots of 64 MiB dma-bufs registered and mapped (%llu MiB), stopped at %s; all released after",
		  slot, (unsigned long long)slot * (BUF_SIZE >> 20), why);
}
