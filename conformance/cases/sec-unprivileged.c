// SPDX-License-Identifier: GPL-2.0
/*
 * sec-unprivileged: what an unprivileged process may register. The
 * namespace node is made 0666 (restored at exit); a forked child sets
 * RLIMIT_MEMLOCK to 64 KiB, drops to uid/gid 65534 (no capabilities), opens
 * the namespace O_DIRECT itself and uses a 4 MiB udmabuf the parent made
 * (/dev/udmabuf is root's).
 *
 * The control: a classic io_uring_register_buffers of 4 MiB of ordinary
 * memory under the same limit is refused with -ENOMEM (io_account_mem()
 * charges pinned pages to the user's locked_vm unless CAP_IPC_LOCK), and a
 * 16 KiB one is charged (VmPin grows). Then the dma-buf: v3 charges
 * nothing for it (io_register_dmabuf() allocates the imu with no pages and
 * calls no accounting; the exporter pinned the memory already), so the
 * registration is expected to be allowed with VmPin unchanged. The case
 * records what happened and passes unless the control fails or a
 * registered dma-buf's READ_FIXED brings the wrong bytes (pread oracle).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "conf.h"

#define BIG	(4u << 20)
#define SMALL	(16u << 10)
#define LIMIT	(64u << 10)
#define READ	(256u << 10)	/* within max_sectors_kb */
#define NOBODY	65534

struct shared {
	int stage_err;		/* 0, or -errno of a step before the tests */
	char stage[32];
	unsigned int euid;
	int classic_big, classic_small, dmabuf, read;
	long pin_small_kb, pin_dmabuf_kb;	/* VmPin growth */
};

static mode_t old_mode;
static const char *node;

static void restore_mode(void)
{
	if (node)
		chmod(node, old_mode);
}

/* VmPin of this process, kB, or -1 */
static long vm_pin(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#define STAGE(s, name, err) do { (s)->stage_err = (err); \
	snprintf((s)->stage, sizeof((s)->stage), "%s", name); _exit(1); } while (0)

static void child(struct shared *s, int dmabuf_fd)
{
	struct rlimit rl = { LIMIT, LIMIT };
	struct io_uring ring;
	struct iovec iov;
	struct conf_batch b;
	void *mem;
	long p0;
	int fd, r;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		STAGE(s, "setrlimit", -errno);
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		STAGE(s, "setresuid", -errno);
	s->euid = geteuid();
	fd = open(conf.dev.path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		STAGE(s, "open", -errno);
	r = io_uring_queue_init(8, &ring, 0);
	if (r)
		STAGE(s, "io_uring_queue_init", r);

	mem = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		   -1, 0);
	if (mem == MAP_FAILED)
		STAGE(s, "mmap", -errno);
	iov.iov_base = mem;
	iov.iov_len = BIG;
	s->classic_big = io_uring_register_buffers(&ring, &iov, 1);
	if (!s->classic_big)
		io_uring_unregister_buffers(&ring);
	/* its own small mapping: in a huge page io_uring would charge all of it */
	mem = mmap(NULL, SMALL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		   -1, 0);
	if (mem == MAP_FAILED)
		STAGE(s, "mmap", -errno);
	iov.iov_base = mem;
	iov.iov_len = SMALL;
	p0 = vm_pin();
	s->classic_small = io_uring_register_buffers(&ring, &iov, 1);
	s->pin_small_kb = vm_pin() - p0;
	if (!s->classic_small)
		io_uring_unregister_buffers(&ring);

	r = io_uring_register_buffers_sparse(&ring, 1);
	if (r)
		STAGE(s, "sparse table", r);
	p0 = vm_pin();
	{
		struct io_uring_regbuf_desc d = conf_desc(dmabuf_fd, fd);

		s->dmabuf = conf_update_desc(&ring, 0, &d);
	}
	s->pin_dmabuf_kb = vm_pin() - p0;
	if (s->dmabuf == 1) {
		memset(&b, 0, sizeof(b));
		b.len = READ;
		b.res = &s->read;
		conf_batch_submit(&ring, &b, IORING_OP_READ_FIXED, fd, 0, 1, 0, 0);
		if (conf_batch_reap(&ring, &b, 30000))
			s->read = -ETIME;
	}
	_exit(0);
}

int main(void)
{
	struct dmabuf_export x;
	struct shared *s;
	struct stat st;
	char *ref;
	uint64_t end;
	int status, r;
	pid_t pid;
	long at;

	conf_init();
	conf_need_series();
	if (stat(conf.dev.path, &st))
		conf_fail("stat %s: %s", conf.dev.path, strerror(errno));
	old_mode = st.st_mode & 07777;
	node = conf.dev.path;
	atexit(restore_mode);
	if (chmod(node, 0666))
		conf_skip("chmod 0666 %s: %s", node, strerror(errno));
	conf_dmabuf(&x, "udmabuf", BIG);
	ref = conf_alloc(BIG);
	conf_fill(ref, BIG, 0x65534);
	conf_pwrite(&conf.dev, ref, BIG, 0);

	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		conf_fail("mmap of shared memory: %s", strerror(errno));
	memset(s, 0, sizeof(*s));
	s->dmabuf = s->read = -ENODATA;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		conf_fail("fork: %s", strerror(errno));
	if (!pid) {
		node = NULL;	/* the parent restores the mode */
		dup2(2, 1);	/* a FAIL of the child's is no result line */
		child(s, x.chunks[0].fd);
	}
	end = conf_now_ns() + 60000000000ull;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && conf_now_ns() < end)
		usleep(10000);
	if (r != pid)
		conf_fail("the unprivileged child did not exit in 60 s");
	restore_mode();
	node = NULL;

	if (s->stage_err == -EPERM && !strcmp(s->stage, "io_uring_queue_init"))
		conf_skip("io_uring is not allowed to an unprivileged user here (kernel.io_uring_disabled)");
	if (s->stage_err)
		conf_fail("the unprivileged child failed at %s: %s", s->stage, conf_res(s->stage_err));
	conf_observe("euid", "%u", s->euid);
	conf_observe("classic_4MiB", "%s", conf_res(s->classic_big));
	conf_observe("classic_16KiB", "%s vmpin_kb=+%ld", conf_res(s->classic_small),
		     s->pin_small_kb);
	conf_observe("dmabuf_4MiB", "%s vmpin_kb=+%ld", conf_res(s->dmabuf), s->pin_dmabuf_kb);
	conf_observe("dmabuf_read", "%s", conf_res(s->read));
	if (s->euid != NOBODY)
		conf_fail("the child runs as euid %u, not %u", s->euid, NOBODY);
	if (s->classic_big != -ENOMEM)
		conf_fail("the control: a classic 4 MiB buffer under RLIMIT_MEMLOCK 64 KiB gave %s (-ENOMEM expected)",
			  conf_res(s->classic_big));
	if (s->dmabuf != 1)
		conf_pass("unprivileged (uid %u, RLIMIT_MEMLOCK 64 KiB): a 4 MiB dma-buf registration was refused (%s); the classic 4 MiB buffer -ENOMEM",
			  NOBODY, conf_res(s->dmabuf));
	if (s->read != (int)READ)
		conf_fail("the unprivileged child's READ_FIXED of the registered dma-buf: %s",
			  conf_res(s->read));
	conf_cpu_begin(&x);
	at = conf_diff(x.cpu, ref, READ);
	conf_cpu_end(&x);
	if (at >= 0)
		conf_fail("the unprivileged child's READ_FIXED brought other bytes than the device's (offset %ld)",
			  at);
	conf_pass("unprivileged (uid %u, RLIMIT_MEMLOCK 64 KiB): a 4 MiB dma-buf was registered and read correctly, charged %+ld kB VmPin (a 16 KiB classic buffer: %+ld kB; a 4 MiB one: %s)",
		  NOBODY, s->pin_dmabuf_kb, s->pin_small_kb, conf_res(s->classic_big));
}
