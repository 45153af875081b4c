// SPDX-License-Identifier: GPL-2.0
/*
 * Which data path a dma-buf source can take: the one definition of the
 * rule. The engine refuses a job by it (path_check), and dmabuf-probe
 * --paths prints it for the matrix runner, which skips such cells. The
 * reason completes "dmabuf_path=P " (host memory) or "dmabuf_path=P: SOURCE ".
 */
#include <stddef.h>

#include "exporter.h"

const char *exp_path_refusal(const struct exporter *e, int path)
{
	if (!e && (path == EXP_PATH_DIRECT || path == EXP_PATH_BOUNCE))
		return "needs a dma-buf, and dmabuf_source=mem has none: use udmabuf, heap, drm or cuda";
	if (e && path == EXP_PATH_MAPPED && !(e->caps & EXP_HOST_PAGES))
		return e->caps & EXP_DEVICE_MEM ?
		       "memory is device memory, which io_uring cannot pin as a classic registered buffer; use dmabuf_path=direct or bounce" :
		       "memory is mapped by the CPU only as a PFN map, which io_uring cannot pin as a classic registered buffer; use dmabuf_path=direct or bounce";
	return NULL;
}
