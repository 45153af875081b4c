// SPDX-License-Identifier: GPL-2.0
/*
 * gpu-oracle: which CUDA GPUs does this machine have, and which export
 * dma-bufs? Written on its own for tests/cuda and tests/probe, sharing no
 * code with engine/exp_cuda.c (the code under test): it dlopen()s
 * libcuda.so.1 and asks cuInit, cuDeviceGetCount, cuDeviceGet,
 * cuDeviceGetName and cuDeviceGetAttribute(CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED,
 * 124 in cuda.h since CUDA 11.7). No CUDA headers needed.
 *
 * Prints
 *   driver: none: WHY          (no libcuda.so.1, or cuInit failed) exit 1
 *   driver: ok: N GPUs         then one line per GPU:       exit 0
 *   gpu INDEX dmabuf=0|1|? NAME
 */
#include <dlfcn.h>
#include <stdio.h>

typedef int (*cu_init_t)(unsigned int);
typedef int (*cu_count_t)(int *);
typedef int (*cu_get_t)(int *, int);
typedef int (*cu_name_t)(char *, int, int);
typedef int (*cu_attr_t)(int *, int, int);

#define DMA_BUF_SUPPORTED 124

int main(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	cu_init_t init;
	cu_count_t count;
	cu_get_t get;
	cu_name_t name;
	cu_attr_t attr;
	int n = 0, i, rc;

	if (!h) {
		printf("driver: none: no libcuda.so.1 (%s)\n", dlerror());
		return 1;
	}
	init = (cu_init_t)dlsym(h, "cuInit");
	count = (cu_count_t)dlsym(h, "cuDeviceGetCount");
	get = (cu_get_t)dlsym(h, "cuDeviceGet");
	name = (cu_name_t)dlsym(h, "cuDeviceGetName");
	attr = (cu_attr_t)dlsym(h, "cuDeviceGetAttribute");
	if (!init || !count || !get || !name || !attr) {
		printf("driver: none: libcuda.so.1 lacks a driver API function\n");
		return 1;
	}
	rc = init(0);
	if (rc) {
		/* 100: CUDA_ERROR_NO_DEVICE */
		printf("driver: none: cuInit(0) returned CUresult %d%s\n", rc,
		       rc == 100 ? " (CUDA_ERROR_NO_DEVICE)" : "");
		return 1;
	}
	rc = count(&n);
	if (rc) {
		printf("driver: none: cuDeviceGetCount returned CUresult %d\n", rc);
		return 1;
	}
	printf("driver: ok: %d GPUs\n", n);
	for (i = 0; i < n; i++) {
		char buf[256] = "?";
		int dev = 0, v = -1;

		if (get(&dev, i)) {
			printf("gpu %d dmabuf=? (cuDeviceGet failed)\n", i);
			continue;
		}
		name(buf, sizeof(buf), dev);
		if (attr(&v, DMA_BUF_SUPPORTED, dev))
			v = -1;
		printf("gpu %d dmabuf=%s %s\n", i, v < 0 ? "?" : v ? "1" : "0", buf);
	}
	return 0;
}
