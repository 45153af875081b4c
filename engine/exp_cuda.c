// SPDX-License-Identifier: GPL-2.0
/*
 * cuda[:DEV]: CUDA device memory exported as dma-bufs.
 *
 * libcuda.so.1 (the driver API, part of the NVIDIA driver) is loaded with
 * dlopen at run time, so the build needs no CUDA headers: the few
 * prototypes and enum values used are declared below. Each chunk is one
 * cuMemAlloc, exported with cuMemGetHandleForAddressRange(DMA_BUF_FD).
 * Device memory is not CPU-mappable: data moves with the driver's copies.
 *
 * CUDA state does not survive fork(), so nothing here touches the driver
 * before alloc (check_arg only parses the device index).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter.h"
#include "exp_cuda.h"

/* From the CUDA driver API (cuda.h); the values are part of its ABI. */
#define CUDA_SUCCESS				0
#define CUDA_ERROR_INVALID_VALUE		1
#define CUDA_ERROR_OUT_OF_MEMORY		2
#define CUDA_ERROR_NO_DEVICE			100
#define CUDA_ERROR_INVALID_DEVICE		101
#define CUDA_ERROR_NOT_SUPPORTED		801
#define CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED	124
#define CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD	1

/* CUresult is an enum (int), CUdevice an int, CUdeviceptr a 64-bit integer. */
struct cuda_api {
	int (*init)(unsigned int flags);
	int (*driver_get_version)(int *version);
	int (*device_get_count)(int *count);
	int (*device_get)(int *dev, int ordinal);
	int (*device_get_name)(char *name, int len, int dev);
	int (*device_get_attribute)(int *val, int attrib, int dev);
	int (*primary_ctx_retain)(void **ctx, int dev);
	int (*primary_ctx_release)(int dev);
	int (*ctx_set_current)(void *ctx);
	int (*mem_alloc)(unsigned long long *dptr, size_t size);
	int (*mem_free)(unsigned long long dptr);
	int (*get_handle)(void *handle, unsigned long long dptr, size_t size,
			  int type, unsigned long long flags);
	int (*memcpy_htod)(unsigned long long dst, const void *src, size_t len);
	int (*memcpy_dtoh)(void *dst, unsigned long long src, size_t len);
	int (*host_register)(void *p, size_t len, unsigned int flags);
	int (*host_unregister)(void *p);
	int (*get_error_string)(int err, const char **str);
	int (*get_error_name)(int err, const char **str);
};

static struct cuda_api cu;
static int cu_ret;		/* 0 or -errno from loading and cuInit */
static char cu_err[512];	/* why, when cu_ret < 0 */
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;

struct cuda_priv {
	int ordinal;
	int dev;
	void *ctx;		/* the device's primary context, retained */
	unsigned long long *base;	/* per chunk: what cuMemAlloc returned */
};

/* "CUDA_ERROR_X (text)" for a CUresult. */
static const char *cu_strerror(int rc, char *buf, size_t len)
{
	const char *name = NULL, *text = NULL;

	if (cu.get_error_name)
		cu.get_error_name(rc, &name);
	if (cu.get_error_string)
		cu.get_error_string(rc, &text);
	if (name && text)
		snprintf(buf, len, "%s: %s", name, text);
	else
		snprintf(buf, len, "CUDA error %d", rc);
	return buf;
}

static int cu_errno(int rc)
{
	switch (rc) {
	case CUDA_ERROR_OUT_OF_MEMORY:
		return -ENOMEM;
	case CUDA_ERROR_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case CUDA_ERROR_NO_DEVICE:
	case CUDA_ERROR_INVALID_DEVICE:
		return -ENODEV;
	case CUDA_ERROR_INVALID_VALUE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

#define CU_SYM(field, sym) \
	(cu.field = (__typeof__(cu.field))dlsym(h, sym))

static void cu_load(void)
{
	const char *missing = NULL;
	void *h;
	int rc;

	h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(cu_err, sizeof(cu_err),
			 "cuda: no NVIDIA driver (libcuda.so.1) on this machine (%s): install the NVIDIA driver with the open kernel modules, or use another dmabuf_source",
			 dlerror());
		cu_ret = -ENOENT;
		return;
	}
	/* optional: only used for messages */
	CU_SYM(get_error_string, "cuGetErrorString");
	CU_SYM(get_error_name, "cuGetErrorName");
	CU_SYM(driver_get_version, "cuDriverGetVersion");
	if (!CU_SYM(primary_ctx_release, "cuDevicePrimaryCtxRelease_v2"))
		CU_SYM(primary_ctx_release, "cuDevicePrimaryCtxRelease");

	if (!CU_SYM(init, "cuInit"))
		missing = "cuInit";
	else if (!CU_SYM(device_get_count, "cuDeviceGetCount"))
		missing = "cuDeviceGetCount";
	else if (!CU_SYM(device_get, "cuDeviceGet"))
		missing = "cuDeviceGet";
	else if (!CU_SYM(device_get_name, "cuDeviceGetName"))
		missing = "cuDeviceGetName";
	else if (!CU_SYM(device_get_attribute, "cuDeviceGetAttribute"))
		missing = "cuDeviceGetAttribute";
	else if (!CU_SYM(primary_ctx_retain, "cuDevicePrimaryCtxRetain"))
		missing = "cuDevicePrimaryCtxRetain";
	else if (!cu.primary_ctx_release)
		missing = "cuDevicePrimaryCtxRelease";
	else if (!CU_SYM(ctx_set_current, "cuCtxSetCurrent"))
		missing = "cuCtxSetCurrent";
	else if (!CU_SYM(mem_alloc, "cuMemAlloc_v2"))
		missing = "cuMemAlloc_v2";
	else if (!CU_SYM(mem_free, "cuMemFree_v2"))
		missing = "cuMemFree_v2";
	else if (!CU_SYM(memcpy_htod, "cuMemcpyHtoD_v2"))
		missing = "cuMemcpyHtoD_v2";
	else if (!CU_SYM(memcpy_dtoh, "cuMemcpyDtoH_v2"))
		missing = "cuMemcpyDtoH_v2";
	else if (!CU_SYM(host_register, "cuMemHostRegister_v2"))
		missing = "cuMemHostRegister_v2";
	else if (!CU_SYM(host_unregister, "cuMemHostUnregister"))
		missing = "cuMemHostUnregister";
	else if (!CU_SYM(get_handle, "cuMemGetHandleForAddressRange"))
		missing = "cuMemGetHandleForAddressRange";
	if (missing) {
		snprintf(cu_err, sizeof(cu_err),
			 "cuda: the NVIDIA driver's libcuda.so.1 lacks %s: it is older than CUDA 11.7; install a newer driver (R515 or later) with the open kernel modules",
			 missing);
		cu_ret = -ENOSYS;
		return;
	}
	rc = cu.init(0);
	if (rc != CUDA_SUCCESS) {
		char why[160];

		snprintf(cu_err, sizeof(cu_err),
			 "cuda: cuInit failed (%s): check that the NVIDIA kernel module is loaded and nvidia-smi lists the GPU",
			 cu_strerror(rc, why, sizeof(why)));
		cu_ret = rc == CUDA_ERROR_NO_DEVICE ? -ENODEV : -EIO;
	}
}

static int cu_get(char *err, size_t len)
{
	pthread_once(&cu_once, cu_load);
	if (cu_ret)
		snprintf(err, len, "%s", cu_err);
	return cu_ret;
}

/* Parse x->arg (NULL: device 0). */
static int cuda_ordinal(const char *arg, int *ordinal)
{
	unsigned long v;
	char *end;

	if (!arg || !*arg) {
		*ordinal = 0;
		return 0;
	}
	if (*arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -EINVAL;
	*ordinal = (int)v;
	return 0;
}

static int cuda_check_arg(struct dmabuf_export *x)
{
	int ordinal;

	if (cuda_ordinal(x->arg, &ordinal)) {
		snprintf(x->err, sizeof(x->err),
			 "cuda: device \"%s\" is not a device index: use cuda or cuda:N, N a CUDA device number (nvidia-smi -L; CUDA_VISIBLE_DEVICES renumbers them)",
			 x->arg);
		return -EINVAL;
	}
	return 0;
}

/*
 * Can CUDA device ordinal export dma-bufs? 0 with *dev set, or -errno with
 * the cause and the fix in err.
 */
static int cuda_check_device(int ordinal, int *dev, char *name, size_t namelen,
			     char *err, size_t len)
{
	char why[160];
	int count = 0, val = 0, rc;

	rc = cu.device_get_count(&count);
	if (rc != CUDA_SUCCESS) {
		snprintf(err, len, "cuda: cuDeviceGetCount failed (%s)",
			 cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	if (ordinal >= count) {
		snprintf(err, len,
			 "cuda: there is no GPU %d: CUDA sees %d device%s here (nvidia-smi -L lists them; check CUDA_VISIBLE_DEVICES)",
			 ordinal, count, count == 1 ? "" : "s");
		return -ENODEV;
	}
	rc = cu.device_get(dev, ordinal);
	if (rc != CUDA_SUCCESS) {
		snprintf(err, len, "cuda: cuDeviceGet(%d) failed (%s)", ordinal,
			 cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	if (cu.device_get_name(name, (int)namelen, *dev) != CUDA_SUCCESS)
		snprintf(name, namelen, "?");
	rc = cu.device_get_attribute(&val, CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED, *dev);
	if (rc != CUDA_SUCCESS) {
		snprintf(err, len,
			 "cuda: GPU %d (%s): the driver does not know the dma-buf attribute (%s): it is older than CUDA 11.7; install a newer driver with the open kernel modules",
			 ordinal, name, cu_strerror(rc, why, sizeof(why)));
		return -EOPNOTSUPP;
	}
	if (!val) {
		snprintf(err, len,
			 "cuda: GPU %d (%s) cannot export dma-bufs: needs the open NVIDIA kernel modules and CUDA >= 11.7 (and a kernel with dma-buf support)",
			 ordinal, name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int cuda_export_chunk(struct dmabuf_export *x, struct cuda_priv *p,
			     unsigned int i, size_t page)
{
	struct dmabuf_chunk *c = &x->chunks[i];
	size_t size = (c->size + page - 1) / page * page;
	unsigned long long dptr;
	char why[160];
	int fd = -1, rc;

	rc = cu.mem_alloc(&p->base[i], size);
	if (rc == CUDA_SUCCESS && p->base[i] % page) {
		/* The export needs a page-aligned start: allocate a page more. */
		cu.mem_free(p->base[i]);
		p->base[i] = 0;
		rc = cu.mem_alloc(&p->base[i], size + page);
	}
	if (rc != CUDA_SUCCESS) {
		p->base[i] = 0;
		snprintf(x->err, sizeof(x->err),
			 "cuda: allocating %zu bytes on GPU %d for dma-buf %u failed (%s): use a smaller size or fewer jobs",
			 size, p->ordinal, i, cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	dptr = (p->base[i] + page - 1) / page * page;
	rc = cu.get_handle(&fd, dptr, size, CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD, 0);
	if (rc != CUDA_SUCCESS) {
		snprintf(x->err, sizeof(x->err),
			 "cuda: exporting %zu bytes of GPU %d memory as a dma-buf failed (%s): %s",
			 size, p->ordinal, cu_strerror(rc, why, sizeof(why)),
			 rc == CUDA_ERROR_NOT_SUPPORTED ?
			 "the driver cannot export this memory; load the open NVIDIA kernel modules (nvidia.ko from open-gpu-kernel-modules)" :
			 "check the driver's kernel log (dmesg)");
		return cu_errno(rc);
	}
	c->fd = fd;
	c->dev_addr = dptr;
	return 0;
}

static int cuda_alloc(struct dmabuf_export *x)
{
	long page = sysconf(_SC_PAGESIZE);
	struct cuda_priv *p;
	char name[128] = "", why[160];
	unsigned int i;
	int ret, rc;

	ret = cu_get(x->err, sizeof(x->err));
	if (ret)
		return ret;
	p = calloc(1, sizeof(*p));
	if (p)
		p->base = calloc(x->nr_chunks, sizeof(*p->base));
	if (!p || !p->base) {
		free(p);
		snprintf(x->err, sizeof(x->err), "cuda: out of memory");
		return -ENOMEM;
	}
	x->priv = p;
	ret = cuda_ordinal(x->arg, &p->ordinal);
	if (ret)
		return cuda_check_arg(x);
	ret = cuda_check_device(p->ordinal, &p->dev, name, sizeof(name),
				x->err, sizeof(x->err));
	if (ret)
		return ret;
	rc = cu.primary_ctx_retain(&p->ctx, p->dev);
	if (rc != CUDA_SUCCESS) {
		p->ctx = NULL;
		snprintf(x->err, sizeof(x->err),
			 "cuda: cannot get a context on GPU %d (%s): %s; check nvidia-smi (compute mode, other processes)",
			 p->ordinal, name, cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	rc = cu.ctx_set_current(p->ctx);
	if (rc != CUDA_SUCCESS) {
		snprintf(x->err, sizeof(x->err), "cuda: cuCtxSetCurrent on GPU %d failed (%s)",
			 p->ordinal, cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	for (i = 0; i < x->nr_chunks; i++) {
		ret = cuda_export_chunk(x, p, i, page > 0 ? (size_t)page : 4096);
		if (ret)
			return ret;
	}
	return 0;
}

static void cuda_free(struct dmabuf_export *x)
{
	struct cuda_priv *p = x->priv;
	unsigned int i;

	if (!p)
		return;
	if (p->ctx)
		cu.ctx_set_current(p->ctx);
	for (i = 0; i < x->nr_chunks; i++) {
		/* the dma-buf first, then the memory behind it */
		if (x->chunks[i].fd >= 0)
			close(x->chunks[i].fd);
		x->chunks[i].fd = -1;
		if (p->base && p->base[i])
			cu.mem_free(p->base[i]);
	}
	if (p->ctx)
		cu.primary_ctx_release(p->dev);
	free(p->base);
	free(p);
	x->priv = NULL;
}

static int cuda_copy(struct dmabuf_export *x, unsigned int c, size_t off,
		     void *host, size_t len, bool to_device)
{
	struct cuda_priv *p = x->priv;
	unsigned long long dptr;
	int rc;

	if (!p || !p->ctx || c >= x->nr_chunks || off > x->chunks[c].size ||
	    len > x->chunks[c].size - off) {
		snprintf(x->err, sizeof(x->err),
			 "cuda: copy of %zu bytes at %zu in dma-buf %u is out of range", len, off, c);
		return -EINVAL;
	}
	dptr = x->chunks[c].dev_addr + off;
	/* fio may call from another thread than the one that allocated */
	rc = cu.ctx_set_current(p->ctx);
	if (rc == CUDA_SUCCESS)
		rc = to_device ? cu.memcpy_htod(dptr, host, len) :
				 cu.memcpy_dtoh(host, dptr, len);
	if (rc != CUDA_SUCCESS) {
		char why[160];

		snprintf(x->err, sizeof(x->err),
			 "cuda: copying %zu bytes %s GPU %d failed (%s)", len,
			 to_device ? "to" : "from", p->ordinal,
			 cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	return 0;
}

static int cuda_host_pin(struct dmabuf_export *x, void *host, size_t len)
{
	struct cuda_priv *p = x->priv;
	int rc;

	rc = cu.ctx_set_current(p->ctx);
	if (rc == CUDA_SUCCESS)
		rc = cu.host_register(host, len, 0);
	if (rc != CUDA_SUCCESS) {
		char why[160];

		snprintf(x->err, sizeof(x->err),
			 "cuda: page-locking the %zu-byte bounce buffer for GPU %d failed (%s): lower size or iodepth, or check the locked-memory limit (ulimit -l)",
			 len, p->ordinal, cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	return 0;
}

static void cuda_host_unpin(struct dmabuf_export *x, void *host)
{
	struct cuda_priv *p = x->priv;

	if (cu.ctx_set_current(p->ctx) == CUDA_SUCCESS)
		cu.host_unregister(host);
}

int cuda_probe(struct cuda_dev_info *devs, int max, int *driver_version,
	       char *err, size_t errlen)
{
	int count = 0, i, ret, rc;

	*driver_version = 0;
	ret = cu_get(err, errlen);
	if (ret)
		return ret;
	if (cu.driver_get_version && cu.driver_get_version(driver_version) != CUDA_SUCCESS)
		*driver_version = 0;
	rc = cu.device_get_count(&count);
	if (rc != CUDA_SUCCESS) {
		char why[160];

		snprintf(err, errlen, "cuDeviceGetCount failed (%s)",
			 cu_strerror(rc, why, sizeof(why)));
		return cu_errno(rc);
	}
	for (i = 0; i < count && i < max; i++) {
		struct cuda_dev_info *d = &devs[i];
		int dev;

		memset(d, 0, sizeof(*d));
		d->index = i;
		ret = cuda_check_device(i, &dev, d->name, sizeof(d->name),
					d->why, sizeof(d->why));
		d->dmabuf = !ret;
	}
	return count;
}

const struct exporter exp_cuda = {
	.name		= "cuda",
	.caps		= EXP_DEVICE_MEM,
	.check_arg	= cuda_check_arg,
	.alloc		= cuda_alloc,
	.free		= cuda_free,
	.copy		= cuda_copy,
	.host_pin	= cuda_host_pin,
	.host_unpin	= cuda_host_unpin,
};
