/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CUDA device memory as dma-bufs (exp_cuda.c): the query that
 * scripts/dmabuf-probe uses. Free of fio and of the CUDA headers.
 */
#ifndef FIO_DMABUF_EXP_CUDA_H
#define FIO_DMABUF_EXP_CUDA_H

#include <stdbool.h>
#include <stddef.h>

struct cuda_dev_info {
	int index;		/* CUDA device ordinal (after CUDA_VISIBLE_DEVICES) */
	char name[128];
	bool dmabuf;		/* CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED */
	char why[256];		/* why not, when !dmabuf */
};

/*
 * Load libcuda.so.1 and describe up to max devices into devs. Returns the
 * number of CUDA devices (which may exceed max), or a negative errno with
 * the cause and the fix in err. *driver_version gets cuDriverGetVersion()'s
 * value (e.g. 12040) or 0 when unknown.
 */
int cuda_probe(struct cuda_dev_info *devs, int max, int *driver_version,
	       char *err, size_t errlen);

#endif /* FIO_DMABUF_EXP_CUDA_H */
