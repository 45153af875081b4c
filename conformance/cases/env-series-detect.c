// SPDX-License-Identifier: GPL-2.0
/*
 * env-series-detect: the kernel's answer to an EMPTY extended buffer update
 * (1 with the series, -EINVAL without) agrees with an independent sign of
 * the series: its functions in /proc/kallsyms (io_drop_dmabuf_node in
 * io_uring/rsrc.c, io_dmabuf_init_map, exported), and with what the harness
 * booted (FIO_DMABUF_EXPECT_SERIES=1|0, set by tests/ and the VM runs).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static const char *const series_syms[] = { "io_drop_dmabuf_node", "io_dmabuf_init_map" };

/* 1 both there, 0 neither, -1 mixed or unreadable */
static int kallsyms_series(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256];
	unsigned int found = 0, i, n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %255s", name) != 1)
			continue;
		n++;
		for (i = 0; i < 2; i++)
			if (!strcmp(name, series_syms[i]))
				found |= 1U << i;
	}
	fclose(f);
	if (n < 100)
		return -1;
	return found == 3 ? 1 : found == 0 ? 0 : -1;
}

int main(void)
{
	const char *expect = getenv("FIO_DMABUF_EXPECT_SERIES");
	int ks;

	conf_init();
	ks = kallsyms_series();
	conf_observe("probe", "%s", conf.series ? "series" : "no series");
	conf_observe("kallsyms", "%s", ks == 1 ? "series" : ks == 0 ? "no series" : "unknown");
	if (expect && *expect) {
		bool booted = *expect == '1';

		if (booted != conf.series)
			conf_fail("the harness booted a kernel %s the series, but the EMPTY extended update says otherwise",
				  // cppcheck-suppress knownConditionTrueFalse ; it takes getenv() for one value
				  booted ? "with" : "without");
	}
	if (ks < 0 && !(expect && *expect))
		conf_skip("no independent sign of the series here: /proc/kallsyms has one of %s, %s but not both, or cannot be read, and FIO_DMABUF_EXPECT_SERIES is not set",
			  series_syms[0], series_syms[1]);
	if (ks >= 0 && ks != conf.series)
		conf_fail("/proc/kallsyms says the series is %s, the EMPTY extended update says %s",
			  ks ? "there" : "absent", conf.series ? "present" : "absent");
	conf_pass("the series is %s: the extended update%s%s agree",
		  conf.series ? "present" : "absent", ks >= 0 ? ", /proc/kallsyms" : "",
		  expect && *expect ? " and the harness" : "");
}
