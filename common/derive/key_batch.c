#include "ss/key_batch.h"

#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/buf.h"
#include "ss/execution_text.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/key_material.h"
#include "ss/key_record.h"
#include "ss/secret.h"
#include "ss/timefmt.h"

/* A chunk is big enough that starting threads for it costs next to
 * nothing, small enough to keep memory flat.  Threads take slices of it
 * one at a time, so a thread that gets less CPU simply takes fewer. */
#define CHUNK_LINES 8192
#define CHUNK_BYTES (8u << 20)
#define SLICE_LINES 128
#define SLICES (CHUNK_LINES / SLICE_LINES)

struct chunk {
	ss_buf text;         /* the lines, each followed by a NUL */
	size_t *start;       /* offsets into text */
	size_t *len;
	size_t n;
	size_t first_lineno; /* line number of line 0 */
};

struct slice {
	ss_buf out;          /* the records of its lines */
	size_t failed;       /* index (in the chunk) of the failing line, SIZE_MAX: none */
	ss_err err;
};

/* What the threads share while they work on one chunk. */
struct run {
	const ss_keybatch *kb;
	const struct chunk *chunk;
	struct slice slice[SLICES];
	size_t nslices;
	atomic_size_t next;  /* the next slice to take */
};

struct worker {
	pthread_t thread;
	struct run *run;
	ss_execkey_batch derive;
};

int ss_keybatch_default_jobs(void)
{
	cpu_set_t set;
	int n = 1;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > SS_KEYBATCH_MAX_JOBS ? SS_KEYBATCH_MAX_JOBS : n;
}

/* DIR/<key_id>.key or .pem, created 0600 and never replaced. */
static int write_key_file(const char *dir, ss_key_kind kind, const ss_execkey *key, ss_err *err)
{
	ss_secret secret = SS_SECRET_INIT;
	char path[PATH_MAX], unused_pem[SS_PUBLIC_PEM_MAX];
	int rc;

	if ((size_t)snprintf(path, sizeof path, "%s/%s%s", dir, key->key_id,
			     ss_keymat_file_suffix(kind)) >= sizeof path)
		return ss_err_set(err, SS_EIO, "'%s': path too long", dir);
	if (!(rc = ss_keymat_export(kind, key->okm, unused_pem, &secret, err)))
		rc = ss_secret_write_file(path, secret.p, secret.len, err);
	ss_secret_free(&secret);
	return rc;
}

/* One line: parse strictly, derive, write the key file if asked, append
 * the record (with its '\n') to out. */
static int derive_line(const ss_keybatch *kb, ss_execkey_batch *derive, const char *text,
		       size_t len, ss_buf *out, ss_err *err)
{
	ss_execution exec;
	ss_execkey key;
	ss_keyrec rec;
	int rc;

	if ((rc = ss_execution_parse_text(text, len, &exec, err)) ||
	    (rc = ss_execkey_batch_derive(derive, &exec, kb->kind, kb->purpose, &key, err)))
		return rc;
	rc = ss_keyrec_from_key(&rec, &key, &exec, kb->kind, kb->purpose, NULL, ss_now(), err);
	if (!rc && kb->secret_dir)
		rc = write_key_file(kb->secret_dir, kb->kind, &key, err);
	ss_execkey_wipe(&key);
	if (rc)
		return rc;
	ss_keyrec_write(&rec, out);
	ss_buf_addc(out, '\n');
	return SS_OK;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	const struct chunk *c = r->chunk;
	size_t i;

	while ((i = atomic_fetch_add(&r->next, 1)) < r->nslices) {
		struct slice *s = &r->slice[i];
		size_t end = (i + 1) * SLICE_LINES < c->n ? (i + 1) * SLICE_LINES : c->n;

		for (size_t line = i * SLICE_LINES; line < end; line++)
			if (derive_line(r->kb, &w->derive, (const char *)c->text.data + c->start[line],
					c->len[line], &s->out, &s->err)) {
				s->failed = line;
				/* Every slice before this one is already taken (slices
				 * go out in order) and will be finished; none after it
				 * is needed. */
				atomic_store(&r->next, r->nslices);
				break;
			}
	}
	return NULL;
}

/* Fill c with up to a chunk of lines.  A read error (a line too long, an
 * I/O error) is returned after the lines read before it. */
static int read_chunk(ss_lines *in, struct chunk *c, ss_err *err)
{
	const char *line;
	size_t len;
	int rc = SS_OK;

	ss_buf_reset(&c->text);
	c->n = 0;
	c->first_lineno = in->lineno + 1;
	while (c->n < CHUNK_LINES && c->text.len < CHUNK_BYTES) {
		if ((rc = ss_lines_next(in, &line, &len, err)) || !line)
			break;
		c->start[c->n] = c->text.len;
		c->len[c->n] = len;
		ss_buf_add(&c->text, line, len);
		ss_buf_addc(&c->text, 0);
		c->n++;
	}
	return rc;
}

/* Derive the chunk on nw workers and write the records in order.  Returns
 * the first line's failure, prefixed with its line number. */
static int run_chunk(struct run *r, struct worker *w, int nw, bool *stdout_failed, ss_err *err)
{
	const struct chunk *c = r->chunk;
	int started = 0, rc = SS_OK;

	r->nslices = (c->n + SLICE_LINES - 1) / SLICE_LINES;
	for (size_t i = 0; i < r->nslices; i++) {
		ss_buf_reset(&r->slice[i].out);
		r->slice[i].failed = SIZE_MAX;
	}
	atomic_store(&r->next, 0);
	/* This thread works too; when a thread cannot start, the others
	 * simply take its share. */
	for (int i = 1; i < nw && (size_t)i < r->nslices; i++, started++)
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0)
			break;
	work(&w[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(w[i].thread, NULL);
	for (size_t i = 0; i < r->nslices && !rc; i++) {
		struct slice *s = &r->slice[i];
		if ((rc = ss_stdout_write(s->out.data, s->out.len, err))) {
			*stdout_failed = true;
			break;
		}
		if (s->failed != SIZE_MAX) {
			*err = s->err;
			rc = ss_err_prefix(err, "line %zu", c->first_lineno + s->failed);
		}
	}
	return rc;
}

int ss_keybatch_run(const ss_keybatch *kb, const unsigned char prk[SS_HKDF_PRK_LEN], int fd,
		    const char *name, ss_err *err)
{
	struct run *r;
	struct worker w[SS_KEYBATCH_MAX_JOBS];
	struct chunk c = { SS_BUF_INIT, NULL, NULL, 0, 0 };
	int nw = kb->secret_dir ? 1 : kb->jobs, rc = SS_OK, read_rc;
	ss_lines in;
	ss_progress progress;
	ss_err read_err = { 0 };
	bool stdout_failed = false;

	if (nw < 1 || nw > SS_KEYBATCH_MAX_JOBS)
		return ss_err_set(err, SS_EUSAGE, "jobs: %d is not in 1..%d", nw,
				  SS_KEYBATCH_MAX_JOBS);
	memset(w, 0, sizeof w);
	r = ss_xcalloc(1, sizeof *r);
	r->kb = kb;
	r->chunk = &c;
	for (int i = 0; i < nw; i++) {
		w[i].run = r;
		if ((rc = ss_execkey_batch_init(&w[i].derive, prk, err)))
			goto out;
	}
	/* cJSON's allocator hooks are process-wide and set on first use: set
	 * them here, before any thread may parse. */
	cJSON_Delete(ss_json_new_object());
	c.start = ss_xcalloc(CHUNK_LINES, sizeof *c.start);
	c.len = ss_xcalloc(CHUNK_LINES, sizeof *c.len);
	ss_lines_init(&in, fd, name, SS_JSON_MAX_SIZE);
	ss_progress_start(&progress, "derive");
	do {
		read_rc = read_chunk(&in, &c, &read_err);
		if (c.n && (rc = run_chunk(r, w, nw, &stdout_failed, err)))
			break;
		ss_progress_add(&progress, c.n);
		if (read_rc) {
			*err = read_err;
			rc = read_rc;
		}
	} while (!rc && c.n);
	ss_progress_end(&progress);
	ss_lines_free(&in);
	if (rc && !stdout_failed) {
		/* The records before the failing line are complete: keep them. */
		ss_err ignored;
		ss_stdout_flush(&ignored);
	}
out:
	for (int i = 0; i < nw; i++)
		ss_execkey_batch_free(&w[i].derive); /* safe on one never set up */
	for (size_t i = 0; i < SLICES; i++)
		ss_buf_free(&r->slice[i].out);
	free(r);
	ss_buf_free(&c.text);
	free(c.start);
	free(c.len);
	return rc;
}
