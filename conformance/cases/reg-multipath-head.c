// SPDX-License-Identifier: GPL-2.0
/*
 * reg-multipath-head: the NVMe multipath head node as the target: -EINVAL
 * in v3 (the head is bio-based, q->mq_ops NULL: v3 patch 6,
 * blkdev_create_dmabuf_token(); notes 1.4, 1.5). Whether CONF_DEV is a
 * head is read from sysfs, not from the kernel's answer: a head has the
 * "multipath" attribute group (7.2 nvme sysfs.c, visible only on heads)
 * and no blk-mq directory "mq". Skips when it is not a head (boot with
 * scripts/vm --nvme-multipath).
 * conf-boot: multipath
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "conf.h"

int main(void)
{
	struct io_uring_regbuf_desc d;
	char p[256], paths[256] = "";
	struct conf_ctx c;
	struct dirent *de;
	struct stat st;
	bool mpath, mq;
	DIR *dir;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	if (fstat(conf.dev.fd, &st))
		conf_fail("fstat %s: %s", conf.dev.path, strerror(errno));
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/multipath", major(st.st_rdev),
		 minor(st.st_rdev));
	dir = opendir(p);
	mpath = dir != NULL;
	while (dir && (de = readdir(dir)))
		if (de->d_name[0] != '.' && strlen(paths) + strlen(de->d_name) + 2 < sizeof(paths)) {
			strcat(paths, paths[0] ? "," : "");
			strcat(paths, de->d_name);
		}
	if (dir)
		closedir(dir);
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/mq", major(st.st_rdev), minor(st.st_rdev));
	mq = !stat(p, &st);
	conf_observe("sysfs", "multipath=%s mq=%s paths=%s", mpath ? "yes" : "no",
		     mq ? "yes" : "no", paths[0] ? paths : "none");
	if (!mpath || mq)
		conf_skip("%s is not an NVMe multipath head (sysfs: multipath group %s, mq %s): boot with --nvme-multipath",
			  conf.dev.path, mpath ? "present" : "absent", mq ? "present" : "absent");
	d = conf_desc(c.x.chunks[0].fd, conf.dev.fd);
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EINVAL,
		    "the NVMe multipath head node as target_fd");
}
