// SPDX-License-Identifier: GPL-2.0
/*
 * reg-char-device: the namespace's NVMe generic character node /dev/ngXnY
 * as the target: -EOPNOTSUPP (v3 patch 5, io_dmabuf_token_create(): a file
 * without ->create_dmabuf_token; only def_blk_fops has it, patch 6; notes
 * 1.4, 1.5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "conf.h"

int main(void)
{
	struct conf_ctx c;
	struct io_uring_regbuf_desc d;
	const char *base;
	char path[64];
	struct stat st;
	int fd;

	conf_setup(&c, "udmabuf", 64 << 10, 8, 0, 1);
	base = strrchr(conf.dev.path, '/');
	base = base ? base + 1 : conf.dev.path;
	if (strncmp(base, "nvme", 4))
		conf_skip("%s is not an nvme namespace node: no generic node to derive", conf.dev.path);
	snprintf(path, sizeof(path), "/dev/ng%s", base + 4);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		conf_skip("cannot open the generic node %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
		conf_fail("%s is not a character device", path);
	d = conf_desc(c.x.chunks[0].fd, fd);
	conf_expect(conf_update_desc(&c.ring, 0, &d), -EOPNOTSUPP,
		    "the NVMe generic char node as target_fd");
}
