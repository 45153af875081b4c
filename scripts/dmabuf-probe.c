// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-probe: what this machine offers the engine's dma-buf sources and
 * paths, from the engine's own exporter and registration code.
 *
 *   dmabuf-probe [--json] [FILE...]
 *
 * One line per fact (or one JSON document with --json): udmabuf and its
 * limits, each DMA heap, DRM card nodes that export dumb buffers, CUDA
 * devices that export dma-bufs, whether the kernel has the io_uring
 * dma-buf API, and for each FILE whether dmabuf_path=direct works on it
 * and why not. Exit 0 when it could answer, 2 on usage errors.
 *
 * Built by the Makefile into build/dmabuf-probe; scripts/dmabuf-probe runs it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/fs.h>
#include <libdrm/drm.h>
#include <libdrm/drm_mode.h>
#include <liburing.h>

#include "dmabuf_uapi.h"
#include "exporter.h"
#include "exp_cuda.h"
#include "json.h"
#include "regbuf.h"

#define HEAP_DIR	"/dev/dma_heap"
#define DRI_DIR		"/dev/dri"
#define UDMABUF_PARAMS	"/sys/module/udmabuf/parameters/"
#define TEST_SIZE	(64 * 1024)	/* the dma-buf registered against FILEs */
#define MAX_NODES	32
#define REASON_LEN	1024

/* -1 unknown, 0 no, 1 yes */
struct fact {
	int ok;
	char reason[REASON_LEN];
};

struct node {
	char name[280];		/* heap name, or DRM node path */
	char driver[64];	/* DRM only */
	struct fact f;
};

struct file_res {
	const char *path;
	const char *type;
	int o_direct;		/* -1 not opened */
	struct fact f;
};

struct probe {
	struct utsname uts;
	struct fact udmabuf;
	long long size_limit_mb, list_limit;	/* -1 unknown */
	struct fact heaps;
	struct node heap[MAX_NODES];
	int nr_heaps;
	struct fact drm;
	struct node card[MAX_NODES];
	int nr_cards;
	struct fact cuda;
	struct cuda_dev_info gpu[MAX_NODES];
	int nr_gpus, cuda_version;
	struct fact api;
	/* the small dma-buf the FILE checks register */
	struct dmabuf_export test;
	char test_source[80];
	struct fact test_buf;
	struct file_res *files;
	int nr_files;
};

static void set(struct fact *f, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set(struct fact *f, int ok, const char *fmt, ...)
{
	va_list ap;

	f->ok = ok;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

static long long read_param(const char *name)
{
	char path[256];
	long long v;
	FILE *f;

	snprintf(path, sizeof(path), UDMABUF_PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Make a TEST_SIZE dma-buf from e; keep it as the FILE checks' buffer. */
static int try_export(struct probe *p, const struct exporter *e, const char *arg,
		      struct fact *f)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dmabuf_export x;
	int ret;

	ret = export_alloc(&x, e, arg, TEST_SIZE, page, TEST_SIZE, false);
	if (ret) {
		set(f, 0, "%s", x.err);
		export_free(&x);
		return ret;
	}
	set(f, 1, "made a %d-byte dma-buf", TEST_SIZE);
	if (!p->test.exp) {
		p->test = x;
		snprintf(p->test_source, sizeof(p->test_source), "%s%s%s", e->name,
			 arg ? ":" : "", arg ? arg : "");
	} else {
		export_free(&x);
	}
	return 0;
}

static void probe_udmabuf(struct probe *p)
{
	p->size_limit_mb = read_param("size_limit_mb");
	p->list_limit = read_param("list_limit");
	try_export(p, &exp_udmabuf, NULL, &p->udmabuf);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->name, ((const struct node *)b)->name);
}

static void probe_heaps(struct probe *p)
{
	DIR *d = opendir(HEAP_DIR);
	struct dirent *de;
	int i, good = 0;

	if (!d) {
		set(&p->heaps, 0, "no %s: %s%s", HEAP_DIR, strerror(errno),
		    errno == ENOENT ? " (the kernel needs CONFIG_DMABUF_HEAPS=y and CONFIG_DMABUF_HEAPS_SYSTEM)" : "");
		return;
	}
	while ((de = readdir(d)) && p->nr_heaps < MAX_NODES) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p->heap[p->nr_heaps++].name, sizeof(p->heap[0].name), "%s", de->d_name);
	}
	closedir(d);
	qsort(p->heap, p->nr_heaps, sizeof(p->heap[0]), name_cmp);
	/* system first: the FILE checks prefer it after udmabuf */
	for (i = 0; i < p->nr_heaps; i++) {
		if (!strcmp(p->heap[i].name, "system"))
			good += !try_export(p, &exp_heap, p->heap[i].name, &p->heap[i].f);
	}
	for (i = 0; i < p->nr_heaps; i++) {
		if (strcmp(p->heap[i].name, "system"))
			good += !try_export(p, &exp_heap, p->heap[i].name, &p->heap[i].f);
	}
	if (!p->nr_heaps)
		set(&p->heaps, 0, "%s has no heaps (the kernel needs CONFIG_DMABUF_HEAPS_SYSTEM)", HEAP_DIR);
	else if (!good)
		set(&p->heaps, 0, "no heap in %s could allocate", HEAP_DIR);
	else
		set(&p->heaps, 1, "%d of %d heaps allocate", good, p->nr_heaps);
}

/* CREATE_DUMB + PRIME export on one card node, then free both. */
static void probe_card(struct node *n)
{
	struct drm_mode_create_dumb create = { .height = 1, .width = 1024, .bpp = 32 };
	struct drm_mode_destroy_dumb destroy = { 0 };
	struct drm_prime_handle prime = { 0 };
	struct drm_version ver = { 0 };
	int fd;

	fd = open(n->name, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		set(&n->f, 0, "cannot open %s: %s", n->name, strerror(errno));
		return;
	}
	ver.name = n->driver;
	ver.name_len = sizeof(n->driver) - 1;
	if (ioctl(fd, DRM_IOCTL_VERSION, &ver))
		snprintf(n->driver, sizeof(n->driver), "?");
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create)) {
		set(&n->f, 0, "driver %s makes no dumb buffers (DRM_IOCTL_MODE_CREATE_DUMB: %s); vgem does (modprobe vgem)",
		    n->driver, strerror(errno));
		goto out;
	}
	prime.handle = create.handle;
	prime.flags = DRM_CLOEXEC | DRM_RDWR;
	prime.fd = -1;
	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime))
		set(&n->f, 0, "driver %s cannot export a dumb buffer (DRM_IOCTL_PRIME_HANDLE_TO_FD: %s)",
		    n->driver, strerror(errno));
	else
		set(&n->f, 1, "driver %s exports a %llu-byte dumb buffer as a dma-buf",
		    n->driver, (unsigned long long)create.size);
	if (prime.fd >= 0)
		close(prime.fd);
	destroy.handle = create.handle;
	ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
out:
	close(fd);
}

static void probe_drm(struct probe *p)
{
	DIR *d = opendir(DRI_DIR);
	struct dirent *de;
	int i, good = 0;

	if (!d) {
		set(&p->drm, 0, "no %s: %s (load vgem: modprobe vgem, CONFIG_DRM_VGEM)",
		    DRI_DIR, strerror(errno));
		return;
	}
	while ((de = readdir(d)) && p->nr_cards < MAX_NODES) {
		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(p->card[p->nr_cards++].name, sizeof(p->card[0].name), DRI_DIR "/%s",
			 de->d_name);
	}
	closedir(d);
	qsort(p->card, p->nr_cards, sizeof(p->card[0]), name_cmp);
	for (i = 0; i < p->nr_cards; i++) {
		probe_card(&p->card[i]);
		good += p->card[i].f.ok == 1;
	}
	if (!p->nr_cards)
		set(&p->drm, 0, "no card node in %s (load vgem: modprobe vgem, CONFIG_DRM_VGEM)", DRI_DIR);
	else if (!good)
		set(&p->drm, 0, "no card node in %s exports dumb buffers (load vgem: modprobe vgem)", DRI_DIR);
	else
		set(&p->drm, 1, "%d of %d card nodes export dumb buffers", good, p->nr_cards);
}

static void probe_cuda(struct probe *p)
{
	char err[REASON_LEN];
	int i, n, good = 0;

	n = cuda_probe(p->gpu, MAX_NODES, &p->cuda_version, err, sizeof(err));
	if (n < 0) {
		set(&p->cuda, 0, "%s", err);
		return;
	}
	p->nr_gpus = n < MAX_NODES ? n : MAX_NODES;
	for (i = 0; i < p->nr_gpus; i++)
		good += p->gpu[i].dmabuf;
	if (!n)
		set(&p->cuda, 0, "the NVIDIA driver sees no CUDA device (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
	else if (!good)
		set(&p->cuda, 0, "no CUDA device exports dma-bufs: needs the open NVIDIA kernel modules and CUDA >= 11.7");
	else
		set(&p->cuda, 1, "%d of %d CUDA devices export dma-bufs", good, n);
}

/* A 1-entry ring with a 1-slot sparse buffer table; 0 or -errno with why. */
static int ring_open(struct io_uring *ring, struct fact *f)
{
	int ret;

	ret = io_uring_queue_init(4, ring, 0);
	if (ret) {
		set(f, -1, "could not tell: io_uring_setup: %s%s", strerror(-ret),
		    ret == -EPERM || ret == -ENOSYS ?
		    " (io_uring disabled? see sysctl kernel.io_uring_disabled)" : "");
		return ret;
	}
	ret = io_uring_register_buffers_sparse(ring, 1);
	if (ret) {
		set(f, -1, "could not tell: a sparse buffer table: %s", strerror(-ret));
		io_uring_queue_exit(ring);
	}
	return ret;
}

static void probe_api(struct probe *p)
{
	struct io_uring ring;
	char msg[REASON_LEN];
	int ret;

	if (ring_open(&ring, &p->api))
		return;
	ret = regbuf_probe(&ring, 0);
	if (ret == 1)
		set(&p->api, 1, "the kernel takes extended buffer updates (IORING_RSRC_UPDATE_EXTENDED)");
	else if (!ret)
		set(&p->api, 0, "%s", regbuf_no_api_msg(msg, sizeof(msg)));
	else
		set(&p->api, -1, "could not tell: an extended buffer update failed: %s",
		    strerror(-ret));
	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
}

static const char *file_type(mode_t m)
{
	if (S_ISBLK(m))
		return "block device";
	if (S_ISREG(m))
		return "regular file";
	if (S_ISCHR(m))
		return "character device";
	if (S_ISDIR(m))
		return "directory";
	return "other";
}

/* One READ_FIXED into the registered dma-buf: the kernel maps it now. */
static int read_test(struct io_uring *ring, int fd, unsigned int *len)
{
	struct io_uring_cqe *cqe;
	int lbs = 512, ret, tries;

	if (ioctl(fd, BLKSSZGET, &lbs) || lbs <= 0)
		lbs = 512;
	*len = lbs < 4096 ? 4096 : (unsigned int)lbs;
	if (*len > TEST_SIZE)
		return -EINVAL;
	/* spurious -EAGAIN is to be reissued (the series' commit message) */
	for (tries = 0; tries < 8; tries++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		/* addr is the offset in the dma-buf: 0 */
		io_uring_prep_read_fixed(sqe, fd, NULL, *len, 0, 0);
		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0)
			return ret;
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		ret = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (ret != -EAGAIN)
			break;
	}
	if (ret >= 0 && (unsigned int)ret != *len)
		return -EIO;
	return ret < 0 ? ret : 0;
}

static void probe_direct(struct probe *p, struct file_res *r, int fd)
{
	struct io_uring ring;
	unsigned int len;
	int ret;

	if (p->api.ok == 0) {
		/* an unpatched kernel refuses every registration alike */
		set(&r->f, 0, "%s; whether %s itself could take dma-bufs cannot be tested on this kernel",
		    p->api.reason, r->path);
		return;
	}
	if (!p->test.exp) {
		set(&r->f, -1, "cannot test: no dma-buf to register here (%s)", p->test_buf.reason);
		return;
	}
	if (ring_open(&ring, &r->f))
		return;
	ret = regbuf_register(&ring, 0, &p->test.chunks[0].fd, 1, fd);
	if (ret) {
		char msg[REASON_LEN];

		set(&r->f, 0, "%s", regbuf_explain(ret, fd, r->path, false, msg, sizeof(msg)));
	} else if (strcmp(r->type, "block device")) {
		set(&r->f, 1, "a %s dma-buf registers against it", p->test_source);
	} else {
		ret = read_test(&ring, fd, &len);
		if (ret)
			set(&r->f, 0, "a %s dma-buf registers, but a %u-byte READ_FIXED into it at offset 0 fails: %s (the kernel maps the dma-buf at the first I/O: see dmesg; with an IOMMU check its mode)",
			    p->test_source, len, strerror(-ret));
		else
			set(&r->f, 1, "a %s dma-buf registers and a %u-byte READ_FIXED into it works",
			    p->test_source, len);
	}
	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
}

/* Why O_DIRECT is refused (EINVAL), by the kind of file. */
static const char *no_odirect_why(const char *type)
{
	if (!strcmp(type, "regular file"))
		return "its file system has no direct I/O";
	if (!strcmp(type, "directory"))
		return "it is a directory";
	if (!strcmp(type, "character device"))
		return "a character device has no direct I/O";
	return "its driver has no direct I/O";
}

static void probe_file(struct probe *p, struct file_res *r)
{
	struct stat st;
	int fd;

	r->type = "?";
	r->o_direct = -1;
	if (!stat(r->path, &st))
		r->type = file_type(st.st_mode);
	fd = open(r->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM ||
		       errno == EISDIR || errno == ETXTBSY))
		fd = open(r->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == EINVAL) {
			r->o_direct = 0;
			set(&r->f, 0, "%s cannot be opened with O_DIRECT (-EINVAL: %s); dma-buf buffers need an NVMe namespace /dev/nvmeXnY opened with O_DIRECT",
			    r->path, no_odirect_why(r->type));
		} else {
			set(&r->f, -1, "cannot test: cannot open %s: %s", r->path, strerror(err));
		}
		return;
	}
	r->o_direct = 1;
	if (!fstat(fd, &st))
		r->type = file_type(st.st_mode);
	probe_direct(p, r, fd);
	close(fd);
}

static void probe_test_buf(struct probe *p)
{
	char heaps[REASON_LEN / 2] = "";
	size_t off = 0;
	int i;

	if (p->test.exp) {
		set(&p->test_buf, 1, "the FILE checks register a %d-byte %s dma-buf",
		    TEST_SIZE, p->test_source);
		return;
	}
	for (i = 0; i < p->nr_heaps && off < sizeof(heaps); i++)
		off += snprintf(heaps + off, sizeof(heaps) - off, "; heap %s: %s",
				p->heap[i].name, p->heap[i].f.reason);
	set(&p->test_buf, 0, "neither udmabuf nor a DMA heap makes one: %s%s%s",
	    p->udmabuf.reason, p->nr_heaps ? "" : "; ", p->nr_heaps ? heaps : p->heaps.reason);
}

/* ---- output ------------------------------------------------------------ */

static const char *yes_no(int ok)
{
	return ok > 0 ? "yes" : ok ? "unknown" : "no";
}

static void text_num(long long v)
{
	if (v < 0)
		printf("?");
	else
		printf("%lld", v);
}

static void print_text(const struct probe *p)
{
	int i;

	printf("kernel: %s (probe built with IO_REGBUF_TYPE_DMABUF=%d)\n", p->uts.release,
	       (int)IO_REGBUF_TYPE_DMABUF);
	printf("udmabuf: %s: %s (size_limit_mb=", yes_no(p->udmabuf.ok), p->udmabuf.reason);
	text_num(p->size_limit_mb);
	printf(", list_limit=");
	text_num(p->list_limit);
	printf(")\n");
	printf("heaps: %s: %s\n", yes_no(p->heaps.ok), p->heaps.reason);
	for (i = 0; i < p->nr_heaps; i++)
		printf("heap %s: %s: %s\n", p->heap[i].name, yes_no(p->heap[i].f.ok),
		       p->heap[i].f.reason);
	printf("drm: %s: %s\n", yes_no(p->drm.ok), p->drm.reason);
	for (i = 0; i < p->nr_cards; i++)
		printf("drm %s: %s: %s\n", p->card[i].name, yes_no(p->card[i].f.ok),
		       p->card[i].f.reason);
	printf("cuda: %s: %s\n", yes_no(p->cuda.ok), p->cuda.reason);
	for (i = 0; i < p->nr_gpus; i++)
		printf("cuda %d (%s): %s%s%s\n", p->gpu[i].index, p->gpu[i].name,
		       yes_no(p->gpu[i].dmabuf), p->gpu[i].dmabuf ? "" : ": ", p->gpu[i].why);
	printf("io_uring dma-buf API: %s: %s\n", yes_no(p->api.ok), p->api.reason);
	printf("test dma-buf: %s: %s\n", yes_no(p->test_buf.ok), p->test_buf.reason);
	for (i = 0; i < p->nr_files; i++)
		printf("file %s (%s): direct %s: %s\n", p->files[i].path, p->files[i].type,
		       yes_no(p->files[i].f.ok), p->files[i].f.reason);
}

static const char *json_bool(int ok)
{
	return ok > 0 ? "true" : ok ? "null" : "false";
}

/* "available": ..., "reason": "..." */
static void json_fact(const struct fact *f)
{
	printf("\"available\": %s, \"reason\": ", json_bool(f->ok));
	json_str(stdout, f->reason);
}

static void json_num(long long v)
{
	if (v < 0)
		printf("null");
	else
		printf("%lld", v);
}

static void print_nodes(const char *key, const struct node *n, int nr, bool drm)
{
	int i;

	printf(", \"%s\": [", key);
	for (i = 0; i < nr; i++) {
		printf("%s{\"%s\": ", i ? ", " : "", drm ? "node" : "name");
		json_str(stdout, n[i].name);
		if (drm) {
			printf(", \"driver\": ");
			json_str(stdout, n[i].driver);
		}
		printf(", ");
		json_fact(&n[i].f);
		printf("}");
	}
	printf("]}");
}

static void print_json(const struct probe *p)
{
	int i;

	printf("{\"tool\": \"dmabuf-probe\", \"kernel\": ");
	json_str(stdout, p->uts.release);
	printf(", \"io_regbuf_type_dmabuf\": %d", (int)IO_REGBUF_TYPE_DMABUF);
	printf(",\n \"udmabuf\": {");
	json_fact(&p->udmabuf);
	printf(", \"size_limit_mb\": ");
	json_num(p->size_limit_mb);
	printf(", \"list_limit\": ");
	json_num(p->list_limit);
	printf("},\n \"heaps\": {");
	json_fact(&p->heaps);
	print_nodes("heaps", p->heap, p->nr_heaps, false);
	printf(",\n \"drm\": {");
	json_fact(&p->drm);
	print_nodes("nodes", p->card, p->nr_cards, true);
	printf(",\n \"cuda\": {");
	json_fact(&p->cuda);
	printf(", \"driver_version\": ");
	json_num(p->cuda_version ? p->cuda_version : -1);
	printf(", \"devices\": [");
	for (i = 0; i < p->nr_gpus; i++) {
		printf("%s{\"index\": %d, \"name\": ", i ? ", " : "", p->gpu[i].index);
		json_str(stdout, p->gpu[i].name);
		printf(", \"dmabuf\": %s, \"reason\": ", json_bool(p->gpu[i].dmabuf));
		json_str(stdout, p->gpu[i].why);
		printf("}");
	}
	printf("]},\n \"io_uring_dmabuf\": {");
	json_fact(&p->api);
	printf("},\n \"test_dmabuf\": {");
	json_fact(&p->test_buf);
	printf(", \"source\": ");
	if (p->test.exp)
		json_str(stdout, p->test_source);
	else
		printf("null");
	printf("},\n \"files\": [");
	for (i = 0; i < p->nr_files; i++) {
		const struct file_res *r = &p->files[i];

		printf("%s\n  {\"path\": ", i ? "," : "");
		json_str(stdout, r->path);
		printf(", \"type\": ");
		json_str(stdout, r->type);
		printf(", \"o_direct\": %s, \"direct\": %s, \"reason\": ",
		       json_bool(r->o_direct), json_bool(r->f.ok));
		json_str(stdout, r->f.reason);
		printf("}");
	}
	printf("]}\n");
}

/*
 * --paths: which dmabuf_path each dmabuf_source can take, by the engine's
 * own rule (engine/path_rules.c); the matrix runner skips cells by it.
 * Needs no hardware: it says what the engine would refuse, not what works here.
 */
static void print_paths(void)
{
	static const struct { const char *name; const struct exporter *e; } src[] = {
		{ "mem", NULL }, { "udmabuf", &exp_udmabuf }, { "heap", &exp_heap },
		{ "drm", &exp_drm }, { "cuda", &exp_cuda },
	};
	static const char *const path[] = { NULL, "direct", "mapped", "bounce" };
	const char *why;
	unsigned int s, p;

	printf("{");
	for (s = 0; s < sizeof(src) / sizeof(src[0]); s++) {
		printf("%s\"%s\": {", s ? ", " : "", src[s].name);
		for (p = EXP_PATH_DIRECT; p <= EXP_PATH_BOUNCE; p++) {
			why = exp_path_refusal(src[s].e, p);
			printf("%s\"%s\": ", p > EXP_PATH_DIRECT ? ", " : "", path[p]);
			if (why)
				json_str(stdout, why);
			else
				printf("null");
		}
		printf("}");
	}
	printf("}\n");
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dmabuf-probe [--json] [FILE...]\n"
		"  What this machine offers fio-dmabuf: udmabuf, DMA heaps, DRM dumb-buffer\n"
		"  export, CUDA dma-buf export, the kernel's io_uring dma-buf API, and for\n"
		"  each FILE whether dmabuf_path=direct works on it and why not.\n"
		"  --json   one JSON document instead of one line per fact\n"
		"  --paths  only the engine's rule: for each dmabuf_source, each dmabuf_path\n"
		"           it refuses and why (null: taken), as JSON; probes nothing\n"
		"  Exit 0 when it could answer, 2 on usage errors.\n");
}

int main(int argc, char **argv)
{
	static struct probe p;
	bool json = false, opts = true;
	int i;

	p.files = calloc(argc, sizeof(*p.files));
	if (!p.files) {
		fprintf(stderr, "dmabuf-probe: out of memory\n");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--json")) {
			json = true;
		} else if (opts && !strcmp(argv[i], "--paths")) {
			print_paths();
			free(p.files);
			return 0;
		} else if (opts && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
			usage(stdout);
			return 0;
		} else if (opts && !strcmp(argv[i], "--")) {
			opts = false;
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "dmabuf-probe: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			p.files[p.nr_files++].path = argv[i];
		}
	}
	if (uname(&p.uts))
		snprintf(p.uts.release, sizeof(p.uts.release), "?");
	probe_udmabuf(&p);
	probe_heaps(&p);
	probe_drm(&p);
	probe_cuda(&p);
	probe_api(&p);
	probe_test_buf(&p);
	for (i = 0; i < p.nr_files; i++)
		probe_file(&p, &p.files[i]);
	export_free(&p.test);
	if (json)
		print_json(&p);
	else
		print_text(&p);
	free(p.files);
	return 0;
}
