// SPDX-License-Identifier: GPL-2.0
/*
 * reg-partition: a partition of the second namespace as the target. The
 * notes (1.4) expect partitions to work (file_bdev() is the partition, the
 * queue is the disk's; untested anywhere). An MBR with one partition at
 * sector 2048 is written to CONF_DEV2 (by the case itself: the guest has
 * no sfdisk) and re-read with BLKRRPART; the slot is registered for
 * /dev/<dev2>p1.
 *  - refused: pass, the errno recorded (a version may not support it);
 *  - accepted: a READ_FIXED at partition offset X must bring the bytes at
 *    disk offset start + X (checked with pread on the whole disk), and a
 *    WRITE_FIXED at partition offset Y must land at disk offset start + Y
 *    and nowhere at disk offset Y. Data from or to the wrong offset is a
 *    FINDING: the dma-buf path would bypass the partition remap.
 * The partition table is wiped again (zeroed) at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "conf.h"

#define START	2048u		/* sectors of 512 bytes */
#define SECTORS	65536u		/* 32 MiB */
#define LEN	65536u

/* the MBR, then BLKRRPART: 0 or -errno */
static int write_mbr(const struct conf_dev *d, bool part)
{
	unsigned char *mbr = conf_alloc(d->lba);
	unsigned char *e = mbr + 446;

	memset(mbr, 0, d->lba);
	/* without a partition: no MBR at all, as the namespace came */
	if (part) {
		e[4] = 0x83;	/* Linux */
		memcpy(e + 8, &(uint32_t){ START }, 4);
		memcpy(e + 12, &(uint32_t){ SECTORS }, 4);
		e[1] = e[5] = 0xfe;	/* CHS: beyond 1024 cylinders */
		e[2] = e[6] = 0xff;
		e[3] = e[7] = 0xff;
		mbr[510] = 0x55;
		mbr[511] = 0xaa;
	}
	conf_pwrite(d, mbr, d->lba, 0);
	free(mbr);
	return ioctl(d->fd, BLKRRPART) ? -errno : 0;
}

/* wipe the table again; the ring's hold on the partition goes asynchronously */
static void wipe_mbr(const struct conf_dev *d)
{
	int i, ret = 0;

	for (i = 0; i < 50; i++) {
		ret = write_mbr(d, false);
		if (ret != -EBUSY)
			break;
		usleep(100000);
	}
	conf_observe("wiped", "%s", conf_res(ret));
}

int main(void)
{
	const uint64_t start = (uint64_t)START * 512, x_off = 3 * 65536, y_off = 5 * 65536;
	int part_fd;
	unsigned char *ref, *wrong, *want;
	struct io_uring_regbuf_desc d;
	unsigned long long size;
	struct conf_ctx c;
	char path[128];
	long at;
	int ret;

	conf_setup(&c, "udmabuf", 256 << 10, 8, 0, 1);
	conf_no_page_cache();
	conf_need_dev2();
	if (conf.dev2.lba != 512)
		conf_skip("CONF_DEV2 has %u-byte blocks; the MBR here is laid out for 512", conf.dev2.lba);
	/* distinct patterns where the partition starts and where the disk starts */
	conf_dev_pattern(&conf.dev2, 0, 1 << 20, 37);
	conf_dev_pattern(&conf.dev2, start, 1 << 20, 38);
	ret = write_mbr(&conf.dev2, true);
	if (ret)
		conf_fail("BLKRRPART on %s after writing an MBR: %s", conf.dev2.path, conf_res(ret));
	snprintf(path, sizeof(path), "%sp1", conf.dev2.path);
	part_fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (part_fd < 0)
		conf_fail("the partition %s did not appear after BLKRRPART: %s", path, strerror(errno));
	if (ioctl(part_fd, BLKGETSIZE64, &size))
		conf_fail("BLKGETSIZE64 on %s: %s", path, strerror(errno));
	/* udev probes the new partition with buffered reads: let it, then drop them */
	conf_no_page_cache();
	if (ioctl(part_fd, BLKFLSBUF, 0))
		conf_observe("blkflsbuf", "%s: %s", path, strerror(errno));
	conf_observe("partition", "%s start=%llu size=%llu", path, (unsigned long long)start, size);

	d = conf_desc(c.x.chunks[0].fd, part_fd);
	ret = conf_update_desc(&c.ring, 0, &d);
	conf_observe("register", "%s", conf_res(ret));
	if (ret != 1) {
		close(part_fd);
		wipe_mbr(&conf.dev2);
		if (ret < 0)
			conf_pass("a partition as target_fd: refused with %s (recorded; the notes expected it to work)",
				  conf_res(ret));
		conf_fail("a partition as target_fd: %s, neither 1 nor an errno", conf_res(ret));
	}

	ref = conf_alloc(LEN);
	wrong = conf_alloc(LEN);
	want = conf_alloc(LEN);
	conf_cpu_begin(&c.x);
	memset(c.x.cpu, 0xa5, LEN);
	conf_cpu_end(&c.x);
	ret = conf_rw_retry(&c.ring, IORING_OP_READ_FIXED, part_fd, 0, 0, LEN, x_off);
	if (ret != (int)LEN)
		conf_fail("READ_FIXED of %u bytes at offset %llu of %s: %s", LEN,
			  (unsigned long long)x_off, path, conf_res(ret));
	conf_pread(&conf.dev2, ref, LEN, start + x_off);
	conf_pread(&conf.dev2, wrong, LEN, x_off);
	conf_cpu_begin(&c.x);
	at = conf_diff(c.x.cpu, ref, LEN);
	if (at >= 0 && conf_diff(c.x.cpu, wrong, LEN) < 0)
		conf_fail("FINDING: a READ_FIXED at offset %llu of the partition %s read disk offset %llu, not %llu: the dma-buf path skipped the partition's start",
			  (unsigned long long)x_off, path, (unsigned long long)x_off,
			  (unsigned long long)(start + x_off));
	if (at >= 0)
		conf_fail("a READ_FIXED at offset %llu of the partition %s: byte %ld differs from disk offset %llu",
			  (unsigned long long)x_off, path, at, (unsigned long long)(start + x_off));
	conf_cpu_end(&c.x);

	conf_pread(&conf.dev2, wrong, LEN, y_off);
	conf_fill(want, LEN, 39);
	conf_cpu_begin(&c.x);
	memcpy(c.x.cpu, want, LEN);
	conf_cpu_end(&c.x);
	ret = conf_rw_retry(&c.ring, IORING_OP_WRITE_FIXED, part_fd, 0, 0, LEN, y_off);
	if (ret != (int)LEN)
		conf_fail("WRITE_FIXED of %u bytes at offset %llu of %s: %s", LEN,
			  (unsigned long long)y_off, path, conf_res(ret));
	conf_pread(&conf.dev2, ref, LEN, y_off);
	if (memcmp(ref, wrong, LEN))
		conf_fail("FINDING: a WRITE_FIXED at offset %llu of the partition %s changed disk offset %llu (outside the partition's remap)%s",
			  (unsigned long long)y_off, path, (unsigned long long)y_off,
			  memcmp(ref, want, LEN) ? "" : ": the written data are there");
	conf_pread(&conf.dev2, ref, LEN, start + y_off);
	at = conf_diff(ref, want, LEN);
	if (at >= 0)
		conf_fail("a WRITE_FIXED at offset %llu of the partition %s: disk offset %llu reads back wrong at byte %ld",
			  (unsigned long long)y_off, path, (unsigned long long)(start + y_off), at);

	io_uring_queue_exit(&c.ring);
	close(part_fd);
	wipe_mbr(&conf.dev2);
	free(ref);
	free(wrong);
	free(want);
	conf_pass("a partition as target_fd: accepted; READ_FIXED and WRITE_FIXED through it land at the partition's offset (disk offset %llu + X)",
		  (unsigned long long)start);
}
