#include "ss/batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_LINES 4096

struct line {
	size_t off, len;
	unsigned long long lineno;
};

struct task {
	ss_pmap_fn fn;
	void *worker;
	const char *arena;
	const struct line *lines;
	size_t from, to;       /* [from, to) of the chunk */
	ss_buf out;
	size_t failed_at;      /* index of the failing line, or `to` */
	unsigned long long refused;
	int rc;
	ss_err err;
};

static void *run_task(void *arg)
{
	struct task *t = arg;

	t->failed_at = t->to;
	for (size_t i = t->from; i < t->to; i++) {
		const struct line *l = &t->lines[i];
		int rc;

		if (l->len == 0) {
			t->rc = ss_err_set(&t->err, SS_EINPUT, "empty line");
			t->failed_at = i;
			break;
		}
		rc = t->fn(t->worker, t->arena + l->off, l->len, &t->out, &t->err);
		if (rc == SS_REFUSED)
			t->refused++;
		else if (rc != SS_OK) {
			t->rc = rc;
			t->failed_at = i;
			break;
		}
	}
	return NULL;
}

int ss_pmap_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > SS_PMAP_MAX_JOBS ? SS_PMAP_MAX_JOBS : (int)n;
}

int ss_pmap_run(ss_lines *in, int jobs, ss_pmap_fn fn, void **workers, ss_pmap_stats *stats,
		ss_progress *prog, ss_err *err)
{
	struct line *lines = ss_xcalloc(CHUNK_LINES, sizeof *lines);
	struct task tasks[SS_PMAP_MAX_JOBS];
	pthread_t th[SS_PMAP_MAX_JOBS];
	ss_buf arena = SS_BUF_INIT;
	int rc = SS_OK;
	bool eof = false;

	memset(stats, 0, sizeof *stats);
	memset(tasks, 0, sizeof tasks);
	if (jobs < 1)
		jobs = 1;
	if (jobs > SS_PMAP_MAX_JOBS)
		jobs = SS_PMAP_MAX_JOBS;
	while (!eof && !rc) {
		size_t n = 0;

		/* Copy a chunk of lines out of the reader (its buffer moves). */
		ss_buf_reset(&arena);
		while (n < CHUNK_LINES) {
			const char *l;
			size_t len;
			if ((rc = ss_lines_next(in, &l, &len, err)))
				break;
			if (!l) {
				eof = true;
				break;
			}
			lines[n].off = arena.len;
			lines[n].len = len;
			lines[n].lineno = in->lineno;
			ss_buf_add(&arena, l, len);
			ss_buf_addc(&arena, 0);
			n++;
		}
		if (rc && n == 0)
			break;
		{
			int use = (size_t)jobs > n ? (int)(n ? n : 1) : jobs;
			size_t per = (n + (size_t)use - 1) / (size_t)use;
			int read_rc = rc;

			bool started[SS_PMAP_MAX_JOBS] = { false };

			for (int i = 0; i < use; i++) {
				struct task *t = &tasks[i];
				ss_buf_reset(&t->out);
				t->fn = fn;
				t->worker = workers[i];
				t->arena = (const char *)arena.data;
				t->lines = lines;
				t->from = (size_t)i * per < n ? (size_t)i * per : n;
				t->to = t->from + per < n ? t->from + per : n;
				t->rc = SS_OK;
				t->refused = 0;
			}
			if (use == 1)
				run_task(&tasks[0]);
			else {
				for (int i = 0; i < use; i++)
					started[i] = pthread_create(&th[i], NULL, run_task, &tasks[i]) == 0;
				for (int i = 0; i < use; i++) {
					if (started[i])
						pthread_join(th[i], NULL);
					else
						run_task(&tasks[i]); /* no thread to be had: here */
				}
			}
			/* In order: whole outputs of finished slices, stop at a failure. */
			for (int i = 0; i < use && !rc; i++) {
				struct task *t = &tasks[i];
				int wrc = ss_stdout_write(t->out.data, t->out.len, err);
				stats->lines += (t->rc ? t->failed_at : t->to) - t->from;
				stats->refused += t->refused;
				if (prog)
					ss_progress_add(prog, (t->rc ? t->failed_at : t->to) - t->from);
				if (wrc) {
					rc = wrc;
					break;
				}
				if (t->rc) {
					*err = t->err;
					ss_err_prefix(err, "line %llu", lines[t->failed_at].lineno);
					rc = t->rc;
				}
			}
			if (!rc)
				rc = read_rc;
		}
	}
	for (int i = 0; i < SS_PMAP_MAX_JOBS; i++)
		ss_buf_free(&tasks[i].out);
	ss_buf_free(&arena);
	free(lines);
	return rc;
}
