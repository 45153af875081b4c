// SPDX-License-Identifier: GPL-2.0
/*
 * life-sigkill: a process with READ_FIXEDs on a dma-buf slot in flight is
 * killed (SIGKILL). Its exit closes the ring; the ring's exit work waits
 * for the requests, then the table and the token go (async: notes 1.2
 * step 5, v3 io_dmabuf_token_release()).
 *
 * A forked child registers a udmabuf, keeps QD 32 reads in flight, and
 * after each submit writes submitted minus completed (CQEs reaped and
 * waiting) to shared memory; the parent kills it once that is above 0.
 * Checked: the child is reaped within 30 s (no task stuck in exit), the
 * dma-buf count in bufinfo returns to what it was before within 10 s, and
 * the namespace still reads (pread). I/O stays within max_sectors_kb (the
 * v3 reissue-reimport defect needs larger I/O).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "conf.h"

#define QD	32

struct shared {
	unsigned int submitted, reaped, in_flight;	/* atomic */
	unsigned long ino;
	int err;
};

static void child(struct shared *s, unsigned int len)
{
	struct conf_batch b;
	struct conf_ctx c;
	uint64_t end;
	int r;

	conf_dmabuf(&c.x, "udmabuf", (size_t)QD * len);
	conf_ring(&c.ring, 2 * QD, 0);
	conf_table(&c.ring, 1);
	conf_register(&c.ring, 0, c.x.chunks[0].fd, conf.dev.fd);
	r = conf_rw(&c.ring, IORING_OP_READ_FIXED, conf.dev.fd, 0, 0, 4096, 0);
	if (r != 4096) {
		s->err = r;
		_exit(1);
	}
	__atomic_store_n(&s->ino, conf_dmabuf_ino(c.x.chunks[0].fd), __ATOMIC_RELEASE);
	end = conf_now_ns() + 60000000000ull;
	while (conf_now_ns() < end) {
		memset(&b, 0, sizeof(b));
		b.len = len;
		conf_batch_submit(&c.ring, &b, IORING_OP_READ_FIXED, conf.dev.fd, 0, QD, 0, 0);
		__atomic_add_fetch(&s->submitted, QD, __ATOMIC_RELAXED);
		__atomic_store_n(&s->in_flight, conf_batch_in_flight(&c.ring, &b), __ATOMIC_RELEASE);
		if (conf_batch_reap(&c.ring, &b, 30000))
			break;
		__atomic_add_fetch(&s->reaped, b.reaped, __ATOMIC_RELAXED);
		__atomic_store_n(&s->in_flight, 0, __ATOMIC_RELEASE);
	}
	_exit(2);
}

int main(void)
{
	unsigned int len, in_flight = 0, submitted;
	struct shared *s;
	uint64_t t0, end;
	long before, n;
	int status, r;
	pid_t pid;
	void *buf;

	before = conf_dmabuf_count(NULL);
	conf_init();
	conf_need_series();
	if (before < 0)
		conf_skip("debugfs dma_buf/bufinfo is not readable (debugfs not mounted?)");
	len = conf_max_io(&conf.dev);
	if (len > (512u << 10))
		len = 512u << 10;
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		conf_fail("mmap of shared memory: %s", strerror(errno));
	memset(s, 0, sizeof(*s));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		conf_fail("fork: %s", strerror(errno));
	if (!pid) {
		dup2(2, 1);	/* a FAIL of the child's is no result line */
		child(s, len);
	}

	end = conf_now_ns() + 30000000000ull;
	while (conf_now_ns() < end) {
		in_flight = __atomic_load_n(&s->in_flight, __ATOMIC_ACQUIRE);
		if (in_flight && __atomic_load_n(&s->submitted, __ATOMIC_RELAXED) > QD)
			break;
		in_flight = 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			conf_fail("the child exited before it was killed (status 0x%x, err %s)", status,
				  conf_res(s->err));
		usleep(1000);
	}
	if (!in_flight) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		conf_fail("the child never reported I/O in flight in 30 s: not the case it claims");
	}
	kill(pid, SIGKILL);
	t0 = conf_now_ns();
	submitted = __atomic_load_n(&s->submitted, __ATOMIC_RELAXED);
	conf_observe("in_flight", "%u", in_flight);
	conf_observe("submitted", "%u", submitted);

	end = t0 + 30000000000ull;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && conf_now_ns() < end)
		usleep(10000);
	if (r != pid) {
		char path[64], state[256] = "";

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		conf_read_file(path, state, sizeof(state));
		conf_fail("the child killed with %u I/Os in flight was not reaped in 30 s (/proc stat: %s)",
			  in_flight, state);
	}
	conf_observe("exit_ms", "%llu", (unsigned long long)(conf_now_ns() - t0) / 1000000);
	n = conf_dmabuf_count_wait(before, 10000);
	conf_observe("release_ms", "%llu", (unsigned long long)(conf_now_ns() - t0) / 1000000);
	if (n != before)
		conf_fail("bufinfo lists %ld dma-bufs 10 s after the child was killed with %u I/Os in flight, %ld before (its dma-buf still listed: %d)",
			  n, in_flight, before, conf_dmabuf_find(s->ino, NULL, NULL));
	buf = conf_alloc(len);
	conf_pread(&conf.dev, buf, len, 0);
	conf_pass("child SIGKILLed with %u READ_FIXEDs in flight (%u submitted): reaped, its dma-buf released, the namespace still reads",
		  in_flight, submitted);
}
