// SPDX-License-Identifier: GPL-2.0
/*
 * reg-dm-linear: a device-mapper linear target over the second namespace
 * (dmsetup create) as the target: -EINVAL (v3 patch 6,
 * blkdev_create_dmabuf_token(): dm is bio-based, q->mq_ops is NULL; notes
 * 1.4, 1.5 "block queue without support (... dm)"). The failed
 * registration must not keep the dm device open: dmsetup remove must
 * work afterwards. Skips where the kernel has no device-mapper or the
 * guest no dmsetup.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "conf.h"

#define NAME	"conf-dm-linear"

static bool have_dm(void)
{
	struct stat st;
	char line[256];
	bool found = false;
	FILE *f;

	if (!stat("/sys/module/dm_mod", &st) || !stat("/dev/mapper/control", &st))
		return true;
	f = fopen("/proc/misc", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "device-mapper") != NULL;
	fclose(f);
	return found;
}

/* /dev/dm-N of the dm device called name, from /sys/block/dm-N/dm/name */
static bool dm_node(const char *name, char *path, size_t len)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *de;
	bool found = false;

	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		char p[300], n[128];

		if (strncmp(de->d_name, "dm-", 3))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%.200s/dm/name", de->d_name);
		if (!conf_read_file(p, n, sizeof(n)) && !strcmp(n, name)) {
			snprintf(path, len, "/dev/%.200s", de->d_name);
			found = true;
		}
	}
	closedir(dir);
	return found;
}

int main(void)
{
	struct io_uring_regbuf_desc d;
	struct conf_ctx c;
	char cmd[512], path[300];
	int fd, ret, rm;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	conf_need_dev2();
	if (!have_dm())
		conf_skip("the kernel has no device-mapper (no /sys/module/dm_mod, /dev/mapper/control or device-mapper in /proc/misc)");
	if (system("command -v dmsetup >/dev/null 2>&1"))
		conf_skip("no dmsetup in the guest");
	system("dmsetup remove --noudevsync " NAME " >/dev/null 2>&1");
	snprintf(cmd, sizeof(cmd),
		 "dmsetup create --noudevsync %s --table '0 %llu linear %s 0' >/dev/null 2>&1",
		 NAME, (unsigned long long)(conf.dev2.size / 512), conf.dev2.path);
	if (system(cmd))
		conf_fail("%s failed", cmd);
	if (!dm_node(NAME, path, sizeof(path)))
		conf_fail("dmsetup created %s but no /sys/block/dm-*/dm/name says so", NAME);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		conf_fail("open %s O_DIRECT: %s", path, strerror(errno));
	d = conf_desc(c.x.chunks[0].fd, fd);
	ret = conf_update_desc(&c.ring, 0, &d);
	conf_observe("register", "%s", conf_res(ret));
	close(fd);
	rm = system("dmsetup remove --noudevsync " NAME " >/dev/null 2>&1");
	conf_observe("dmsetup_remove", "%s", rm ? "failed" : "ok");
	if (ret == -EINVAL && rm)
		conf_fail("a dm linear target as target_fd: -EINVAL, but dmsetup remove failed afterwards (the device is still held?)");
	conf_expect(ret, -EINVAL, "a dm linear target as target_fd");
}
