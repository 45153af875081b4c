/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma-buf exporters: allocate memory as one or more dma-bufs ("chunks").
 * Free of fio, so the engine and scripts/dmabuf-probe share them. Each
 * exporter is one file (exp_*.c) and one entry in exporter.c's table.
 *
 * Errors are returned as a negative errno with a message in x->err that
 * names the cause and the fix.
 */
#ifndef FIO_DMABUF_EXPORTER_H
#define FIO_DMABUF_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an exporter's memory allows. */
#define EXP_CPU_MAP	(1U << 0)	/* the dma-bufs can be mmap'ed by the CPU */
#define EXP_HOST_PAGES	(1U << 1)	/* also plain host pages io_uring can pin (mapped path) */
#define EXP_DEVICE_MEM	(1U << 2)	/* device memory: CPU access only by copies */

struct dmabuf_chunk {
	int fd;			/* the dma-buf */
	size_t size;
	uint64_t dev_addr;	/* device address (EXP_DEVICE_MEM), else 0 */
};

struct dmabuf_export {
	const struct exporter *exp;
	const char *arg;	/* text after "NAME:" or NULL */
	bool hugepage;		/* ask for huge pages where the exporter can */
	size_t size;		/* total bytes, a multiple of page size */
	size_t chunk_size;	/* bytes per chunk; the last may be shorter */
	unsigned int nr_chunks;
	struct dmabuf_chunk *chunks;
	void *cpu;		/* contiguous CPU view of all chunks, or NULL */
	void *host;		/* contiguous pinnable view (EXP_HOST_PAGES), or NULL */
	size_t host_size;	/* bytes mapped at host: size, rounded up to its page size */
	void *priv;		/* the exporter's own state */
	char err[512];
};

struct exporter {
	const char *name;
	unsigned int caps;
	/*
	 * Largest single dma-buf this exporter makes (e.g. udmabuf's
	 * size_limit_mb), 0 if it sets none. arg as in x->arg.
	 */
	size_t (*max_size)(const char *arg);
	/* Check arg before anything is allocated; 0 or -EINVAL with x->err. */
	int (*check_arg)(struct dmabuf_export *x);
	/* Fill x->chunks[] (and x->cpu / x->host) for the sizes set in x. */
	int (*alloc)(struct dmabuf_export *x);
	void (*free)(struct dmabuf_export *x);
	/* EXP_DEVICE_MEM only: copy len bytes at off in chunk c to/from host. */
	int (*copy)(struct dmabuf_export *x, unsigned int c, size_t off,
		    void *host, size_t len, bool to_device);
	/*
	 * EXP_DEVICE_MEM, optional: page-lock host memory that copy() uses,
	 * so the driver moves it by DMA instead of staging it through its
	 * own pinned buffer with one more CPU copy (0, or -errno with x->err).
	 */
	int (*host_pin)(struct dmabuf_export *x, void *host, size_t len);
	void (*host_unpin)(struct dmabuf_export *x, void *host);
};

extern const struct exporter exp_udmabuf, exp_heap, exp_drm, exp_cuda;

/* The data paths, with engine.h's enum dmabuf_path values. */
enum exp_path { EXP_PATH_DIRECT = 1, EXP_PATH_MAPPED, EXP_PATH_BOUNCE };

/*
 * Can a source whose exporter is e (NULL: host memory, dmabuf_source=mem)
 * take path? NULL, or why not (path_rules.c, the one definition).
 */
const char *exp_path_refusal(const struct exporter *e, int path);

/* Does spec, "NAME[:ARG]", name name? If so, *arg is ARG or NULL. */
bool spec_names(const char *spec, const char *name, const char **arg);

/*
 * Allocate size bytes from exporter e as chunks of at most chunk_max bytes,
 * each a multiple of unit (a multiple of the page size). On failure x->err
 * says why; export_free() is safe after a failed export_alloc().
 */
int export_alloc(struct dmabuf_export *x, const struct exporter *e,
		 const char *arg, size_t size, size_t unit, size_t chunk_max,
		 bool hugepage);
void export_free(struct dmabuf_export *x);

/*
 * For exporters whose dma-bufs the CPU maps: mmap every chunk into one
 * contiguous range and set x->cpu.
 */
int export_map_chunks(struct dmabuf_export *x);
void export_unmap_chunks(struct dmabuf_export *x);

/* DMA_BUF_IOCTL_SYNC on chunk c; flags as in <linux/dma-buf.h>. */
int export_sync(const struct dmabuf_export *x, unsigned int c, uint64_t flags);

#endif /* FIO_DMABUF_EXPORTER_H */
