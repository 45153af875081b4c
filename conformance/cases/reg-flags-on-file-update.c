// SPDX-License-Identifier: GPL-2.0
/*
 * reg-flags-on-file-update: the EXTENDED flag on a file-table update
 * (IORING_REGISTER_FILES_UPDATE2): -EINVAL; descriptors are for buffers only.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct io_uring ring;
	int fd;
	int ret;

	conf_init();
	conf_need_series();
	conf_ring(&ring, 8, 0);
	ret = io_uring_register_files_sparse(&ring, 1);
	if (ret)
		conf_fail("a sparse file table: %s", conf_res(ret));
	fd = conf.dev.fd;
	conf_expect(conf_update(ring.ring_fd, IORING_REGISTER_FILES_UPDATE2, 0,
				IORING_RSRC_UPDATE_EXTENDED, &fd, 1),
		    -EINVAL, "a file update with the EXTENDED flag");
}
