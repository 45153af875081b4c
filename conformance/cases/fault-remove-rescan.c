// SPDX-License-Identifier: GPL-2.0
/*
 * fault-remove-rescan: the PCI device of CONF_DEV2's controller is removed
 * (sysfs remove) with a dma-buf registered for that namespace and
 * READ_FIXEDs on it in flight, then the bus is rescanned. The same
 * dma-buf is also registered for CONF_DEV (another controller).
 *
 * What a safe kernel does: the in-flight reads complete (the removal
 * waits for them, or they fail with an errno); I/O through the old
 * registration afterwards moves nothing: an errno, or 0 / -ENOSPC at the
 * dead disk's capacity of 0 (del_gendisk() sets it), and must not write
 * into the dma-buf (v3 has no
 * removal handling: the token keeps its attachment to the removed
 * device's struct device and its DMA map; v6 "handles nvme removal"); the
 * other controller's slot keeps working; emptying the old slot releases
 * the token without a hang; the rescan brings the namespace back, and the
 * dma-buf registers for it and does I/O again.
 *
 * Recorded: in-flight count, errnos, the old registration's results after
 * removal, the new namespace's name. Fails on a hang (each wait bounded),
 * on I/O through the removed namespace that reports success, on bytes
 * appearing in the dma-buf from a failed read, when the namespace does not
 * return within 60 s, or on a leaked dma-buf. I/O stays within
 * max_sectors_kb (the v3 reissue-reimport defect needs larger I/O). The
 * namespace may come back under another name: the case then links
 * CONF_DEV2's old path to it, for the cases after it in the same boot.
 *
 * conf-order: last
 * conf-timeout: 240
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define QD	64	/* the most in flight; fewer are tried first */

static char remove_path[PATH_MAX];

static long do_remove(void *arg)
{
	(void)arg;
	return conf_write_file(remove_path, "1");
}

static long do_rescan(void *arg)
{
	(void)arg;
	return conf_write_file("/sys/bus/pci/rescan", "1");
}

/* a case that failed after the removal still gives the device back */
static void rescan_at_exit(void)
{
	conf_write_file("/sys/bus/pci/rescan", "1");
}

/* the PCI address behind block device NAME, into addr; 0 or -errno */
static int pci_of(const char *name, char *addr, size_t len)
{
	char link[PATH_MAX], real[PATH_MAX];

	snprintf(link, sizeof(link), "/sys/class/block/%s/device/device", name);
	if (!realpath(link, real))
		return -errno;
	snprintf(addr, len, "%s", basename(real));
	return 0;
}

/* a block device (not a partition) on PCI device addr, into name; 0 or -ENOENT */
static int disk_on(const char *addr, char *name, size_t len)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	char a[64];
	int ret = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !pci_of(e->d_name, a, sizeof(a)) && !strcmp(a, addr)) {
			snprintf(name, len, "%s", e->d_name);
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
}

static int rw_bounded(struct io_uring *ring, int op, int fd, unsigned int slot,
		      unsigned int len, uint64_t buf_off, uint64_t dev_off)
{
	struct conf_batch b;
	int res = -ENODATA;

	memset(&b, 0, sizeof(b));
	b.len = len;
	b.res = &res;
	conf_batch_submit(ring, &b, op, fd, slot, 1, buf_off, dev_off);
	if (conf_batch_reap(ring, &b, 30000))
		return -ETIME;
	return res;
}

int main(void)
{
	char real[PATH_MAX], addr[64], addr1[64], name[256], newname[256] = "", path[300];
	unsigned int len, in_flight = 0, i, qd;
	int old_read, old_write, other, r, fd2 = -1, new_read;
	struct conf_batch b;
	struct conf_ctx c;
	unsigned long ino;
	char *ref, *sentinel;
	uint64_t end, t0;
	long ret;

	conf_init();
	conf_need_dev2();
	if (!realpath(conf.dev2.path, real))
		conf_skip("realpath %s: %s", conf.dev2.path, strerror(errno));
	snprintf(name, sizeof(name), "%s", basename(real));
	if (pci_of(name, addr, sizeof(addr)))
		conf_skip("no PCI device behind %s", name);
	if (!realpath(conf.dev.path, real) || pci_of(basename(real), addr1, sizeof(addr1)) ||
	    !strcmp(addr, addr1))
		conf_skip("CONF_DEV must be on another PCI device than CONF_DEV2 (%s)", addr);
	snprintf(remove_path, sizeof(remove_path), "/sys/bus/pci/devices/%s/remove", addr);
	if (access(remove_path, W_OK))
		conf_skip("%s: %s", remove_path, strerror(errno));
	len = conf_max_io(&conf.dev2);
	if (len > (256u << 10))
		len = 256u << 10;
	conf_setup(&c, "udmabuf", (size_t)(QD + 2) * len, 2 * QD, 0, 2);
	ino = conf_dmabuf_ino(c.x.chunks[0].fd);
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev2.fd);
	conf_register(&c.ring, 1, c.x.chunks[0].fd, conf.dev.fd);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev2.fd, 0, 0, 4096, 0);
	if (r != 4096)
		conf_fail("the first READ_FIXED on %s: %s", name, conf_res(r));
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 1, 0, 4096, 0);
	if (r != 4096)
		conf_fail("the first READ_FIXED on %s: %s", conf.dev.path, conf_res(r));
	ref = conf_alloc((size_t)(QD + 2) * len);
	sentinel = conf_alloc(len);
	conf_fill(ref, (size_t)(QD + 2) * len, 0x4e30);
	conf_pwrite(&conf.dev2, ref, (size_t)QD * len, 0);
	conf_pwrite(&conf.dev, ref + (size_t)QD * len, len, 0);
	memset(sentinel, 0xe7, len);
	conf_cpu_begin(&c.x);
	memcpy((char *)c.x.cpu + (size_t)QD * len, sentinel, len);
	conf_cpu_end(&c.x);

	for (qd = 16; qd <= QD; qd *= 2) {
		memset(&b, 0, sizeof(b));
		b.len = len;
		conf_batch_submit(&c.ring, &b, IORING_OP_READ_FIXED, conf.dev2.fd, 0, qd, 0, 0);
		in_flight = conf_batch_in_flight(&c.ring, &b);
		if (in_flight)
			break;
		if (conf_batch_reap(&c.ring, &b, 30000))
			conf_fail("%u READ_FIXEDs of %u bytes did not complete in 30 s", qd, len);
	}
	if (!in_flight)
		conf_fail("no I/O was in flight after submitting up to %u READ_FIXEDs of %u bytes: not the case it claims",
			  QD, len);
	conf_observe("pci_device", "%s (%s)", addr, name);
	conf_observe("in_flight", "%u", in_flight);
	conf_may_hang("v3-nvme-remove", "PCI remove of %s with a dma-buf registered and %u READ_FIXEDs in flight",
		      addr, in_flight);
	t0 = conf_now_ns();
	atexit(rescan_at_exit);
	if (!conf_timed_call(do_remove, NULL, 60000, &ret))
		conf_fail("removing %s with %u dma-buf reads in flight did not return in 60 s", addr,
			  in_flight);
	conf_observe("remove_write", "%s", conf_res((int)ret));
	conf_observe("remove_ms", "%llu", (unsigned long long)(conf_now_ns() - t0) / 1000000);
	if (ret)
		conf_fail("writing 1 to %s: %s", remove_path, conf_res((int)ret));
	if (conf_batch_reap(&c.ring, &b, 60000))
		conf_fail("%u of %u in-flight READ_FIXEDs never completed in 60 s after the removal",
			  b.submitted - b.reaped, b.submitted);
	conf_observe("completed", "ok=%u failed=%u short=%u errors=%s", b.ok, b.failed, b.shorts,
		     conf_batch_errs(&b));

	/* the old registration, on the removed namespace's fd */
	old_read = rw_bounded(&c.ring, IORING_OP_READ_FIXED, conf.dev2.fd, 0, len,
			      (uint64_t)QD * len, 0);
	old_write = rw_bounded(&c.ring, IORING_OP_WRITE_FIXED, conf.dev2.fd, 0, len,
			       (uint64_t)QD * len, len);
	conf_observe("old_registration_after_remove", "read=%s write=%s", conf_res(old_read),
		     conf_res(old_write));
	if (old_read == -ETIME || old_write == -ETIME)
		conf_fail("I/O through the old registration after the removal did not complete in 30 s");
	/* 0 is end of device: a removed disk's capacity is 0 */
	if (old_read > 0 || old_write > 0)
		conf_fail("I/O through the removed namespace's registration reported bytes moved (read %s, write %s)",
			  conf_res(old_read), conf_res(old_write));
	conf_cpu_begin(&c.x);
	r = memcmp((char *)c.x.cpu + (size_t)QD * len, sentinel, len);
	conf_cpu_end(&c.x);
	if (r)
		conf_fail("a failed READ_FIXED through the removed namespace's registration changed the dma-buf");
	other = rw_bounded(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 1, len,
			   (uint64_t)(QD + 1) * len, 0);
	conf_observe("other_controller_read", "%s", conf_res(other));
	if (other != (int)len)
		conf_fail("a READ_FIXED through the other controller's slot after the removal: %s",
			  conf_res(other));
	conf_cpu_begin(&c.x);
	r = memcmp((char *)c.x.cpu + (size_t)(QD + 1) * len, ref + (size_t)QD * len, len);
	conf_cpu_end(&c.x);
	if (r)
		conf_fail("the other controller's READ_FIXED after the removal brought other bytes");
	r = conf_unregister_slot(&c.ring, 0);
	conf_observe("unregister_old", "%s", conf_res(r));
	if (r != 1)
		conf_fail("emptying the removed namespace's slot: %s", conf_res(r));
	close(conf.dev2.fd);
	conf.dev2.fd = -1;

	if (!conf_timed_call(do_rescan, NULL, 60000, &ret))
		conf_fail("the PCI rescan did not return in 60 s");
	end = conf_now_ns() + 60000000000ull;
	while (disk_on(addr, newname, sizeof(newname)) && conf_now_ns() < end)
		usleep(100000);
	conf_observe("namespace_after_rescan", "%s", newname[0] ? newname : "none");
	if (!newname[0])
		conf_fail("no namespace on %s 60 s after the rescan", addr);
	snprintf(path, sizeof(path), "/dev/%s", newname);
	for (i = 0; i < 100 && (fd2 = open(path, O_RDWR | O_DIRECT | O_CLOEXEC)) < 0; i++)
		usleep(100000);
	if (fd2 < 0)
		conf_fail("open %s after the rescan: %s", path, strerror(errno));
	{
		struct io_uring_regbuf_desc d = conf_desc(c.x.chunks[0].fd, fd2);

		r = conf_update_desc(&c.ring, 0, &d);
	}
	conf_observe("register_new", "%s", conf_res(r));
	if (r != 1)
		conf_fail("registering the dma-buf for %s after the rescan: %s", path, conf_res(r));
	conf_fill(ref, len, 0x4e31);
	if (pwrite(fd2, ref, len, 0) != (ssize_t)len)
		conf_fail("pwrite to %s after the rescan: %s", path, strerror(errno));
	new_read = rw_bounded(&c.ring, IORING_OP_READ_FIXED, fd2, 0, len, 0, 0);
	/* the first I/O on a slot goes through io-wq; one more after */
	if (new_read == (int)len)
		new_read = rw_bounded(&c.ring, IORING_OP_READ_FIXED, fd2, 0, len, 0, 0);
	conf_observe("read_new", "%s", conf_res(new_read));
	if (new_read != (int)len)
		conf_fail("READ_FIXED from %s after the rescan: %s", path, conf_res(new_read));
	conf_cpu_begin(&c.x);
	r = memcmp(c.x.cpu, ref, len);
	conf_cpu_end(&c.x);
	if (r)
		conf_fail("READ_FIXED from %s after the rescan brought other bytes", path);
	if (conf_unregister_slot(&c.ring, 0) != 1 || conf_unregister_slot(&c.ring, 1) != 1)
		conf_fail("emptying the slots failed");
	export_free(&c.x);
	if (conf_dmabuf_wait(ino, 0, 10000) == 1)
		conf_fail("the dma-buf is still in bufinfo 10 s after all its slots were emptied (the removed device's token leaked?)");
	close(fd2);
	/* later cases in this boot open CONF_DEV2 by its old name */
	if (access(conf.dev2.path, F_OK) && symlink(path, conf.dev2.path) == 0)
		conf_observe("symlink", "%s -> %s", conf.dev2.path, path);
	conf_pass("PCI remove of %s with %u of %u reads in flight: they completed (%u ok, %u failed: %s); old registration after: read %s, write %s, buffer untouched; other controller fine; %s back after rescan, registered and read correctly; released",
		  addr, in_flight, b.submitted, b.ok, b.failed, conf_batch_errs(&b),
		  conf_res(old_read), conf_res(old_write), newname);
}
