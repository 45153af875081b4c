// SPDX-License-Identifier: GPL-2.0
/*
 * The table of buffer sources and the lookup of dmabuf_source=NAME[:ARG].
 */
#include <stdio.h>
#include <string.h>

#include "exporter.h"
#include "source.h"

static const struct source_ops *const sources[] = {
	&source_mem_ops,
	&source_udmabuf_ops,
	&source_heap_ops,
	&source_drm_ops,
	&source_cuda_ops,
};

const struct source_ops *source_find(const char *spec, const char **arg)
{
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (spec_names(spec, sources[i]->name, arg))
			return sources[i];
	}
	return NULL;
}

const char *source_names(void)
{
	static char names[128];
	size_t i, off = 0;

	if (names[0])
		return names;
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		off += snprintf(names + off, sizeof(names) - off, "%s%s",
				i ? ", " : "", sources[i]->name);
	return names;
}
