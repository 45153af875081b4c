// SPDX-License-Identifier: GPL-2.0
/*
 * What the engine did, at the end of each job: one line on stderr that
 * starts with "fio-dmabuf: job=" (fio's JSON has no place for an engine's
 * numbers), and the same as one JSON object per line in dmabuf_stats_file
 * when set.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "json.h"
#include "source.h"

void report_job(struct thread_data *td, struct dmabuf_engine *ed)
{
	const struct dmabuf_options *o = td->eo;
	const struct dmabuf_stats *s = &ed->stats;
	char flags[128];
	FILE *f;

	ring_flags_str(ed->ring_flags, flags, sizeof(flags));
	log_err(DMABUF_LOG_PREFIX "job=%s source=%s%s path=%s dmabufs=%u dmabuf_size=%zu ring=%s ring_fd=%s files=%s slots=%u reg_us=%llu warm_us=%llu reissues=%llu eagain_failed=%llu sync_calls=%llu bounce_bytes=%llu copy_bytes=%llu submit_calls=%llu\n",
		td->o.name, ed->area.ops->name, ed->area.hugepage ? "+hugepage" : "",
		path_name(ed->path), ed->area.exp.nr_chunks, ed->area.exp.chunk_size,
		flags, ed->ring_fd_registered ? "registered" : "plain",
		ed->fixed_files ? "registered" : "plain", ed->nr_slots,
		(unsigned long long)s->reg_ns / 1000, (unsigned long long)s->warm_ns / 1000,
		(unsigned long long)s->reissues, (unsigned long long)s->eagain_failed,
		(unsigned long long)s->sync_calls, (unsigned long long)s->bounce_bytes,
		(unsigned long long)s->copy_bytes, (unsigned long long)s->submit_calls);
	if (!o->stats_file)
		return;
	f = fopen(o->stats_file, "a");
	if (!f) {
		log_err(DMABUF_LOG_PREFIX "dmabuf_stats_file=%s: %s\n", o->stats_file,
			strerror(errno));
		return;
	}
	fputs("{\"job\": ", f);
	json_str(f, td->o.name);
	fprintf(f, ", \"pid\": %d, \"source\": ", (int)getpid());
	json_str(f, ed->area.ops->name);
	fprintf(f, ", \"hugepage\": %s, \"path\": ", ed->area.hugepage ? "true" : "false");
	json_str(f, path_name(ed->path));
	fputs(", \"auto_reason\": ", f);
	json_str(f, ed->path_why);
	fprintf(f, ", \"dmabufs\": %u, \"dmabuf_size\": %zu, \"ring_flags\": ",
		ed->area.exp.nr_chunks, ed->area.exp.chunk_size);
	json_str(f, flags);
	fprintf(f, ", \"ring_fd_registered\": %s, \"files_registered\": %s, \"slots\": %u, \"sync\": %s, \"reg_ns\": %llu, \"warm_ns\": %llu, \"reissues\": %llu, \"eagain_failed\": %llu, \"sync_calls\": %llu, \"bounce_bytes\": %llu, \"copy_bytes\": %llu, \"submit_calls\": %llu}\n",
		ed->ring_fd_registered ? "true" : "false", ed->fixed_files ? "true" : "false",
		ed->nr_slots, ed->sync ? "true" : "false",
		(unsigned long long)s->reg_ns, (unsigned long long)s->warm_ns,
		(unsigned long long)s->reissues, (unsigned long long)s->eagain_failed,
		(unsigned long long)s->sync_calls, (unsigned long long)s->bounce_bytes,
		(unsigned long long)s->copy_bytes, (unsigned long long)s->submit_calls);
	fclose(f);
}
