// SPDX-License-Identifier: GPL-2.0
/*
 * errno-check: the exporters return the errno of the call that failed, not
 * whatever errno is after they formatted the message. C lets any library
 * call (snprintf included) change errno even when it succeeds; this
 * program's own snprintf does, so a "return -errno" placed after the
 * message shows. Built by tests/engine/faults from engine/exporter.c and
 * the exporters (free of fio). Exit 0 pass, 1 fail.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exporter.h"

/* Every snprintf in the exporters comes here: format, then clobber errno. */
int snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	errno = EOVERFLOW;
	return n;
}

static int failed;

static void expect(const char *what, int got, int want, const char *err)
{
	if (got == want) {
		printf("PASS errno-%s\n", what);
		return;
	}
	printf("FAIL errno-%s: returned %d (%s), expected %d (%s); message: %s\n", what, got,
	       strerror(-got), want, strerror(-want), err);
	failed = 1;
}

int main(void)
{
	struct dmabuf_export x;
	int ret;

	/* a card node that is not there: open() says ENOENT */
	ret = export_alloc(&x, &exp_drm, "/dev/dri/fio-dmabuf-no-such-card", 4096, 4096,
			   1 << 20, false);
	expect("drm-open", ret, -ENOENT, x.err);
	export_free(&x);

	/* more address space than there is: the reserving mmap() says ENOMEM */
	memset(&x, 0, sizeof(x));
	x.exp = &exp_drm;
	x.size = (size_t)1 << 62;
	ret = export_map_chunks(&x);
	expect("map-reserve", ret, -ENOMEM, x.err);
	return failed;
}
