#include "ss/keybatch.h"

#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/buf.h"
#include "ss/exectext.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/keymat.h"
#include "ss/keyrec.h"
#include "ss/secret.h"
#include "ss/timefmt.h"

/* A chunk is big enough that starting threads for it costs next to
 * nothing, small enough to keep memory flat. */
#define CHUNK_LINES 8192
#define CHUNK_BYTES (8u << 20)

struct chunk {
	ss_buf text;         /* the lines, each followed by a NUL */
	size_t *start;       /* offsets into text */
	size_t *len;
	size_t n;
	size_t first_lineno; /* line number of line 0 */
};

struct worker {
	pthread_t thread;
	const ss_keybatch *kb;
	ss_execkey_batch derive;
	const struct chunk *chunk;
	size_t from, to;     /* lines [from, to) of the chunk */
	ss_buf out;          /* their records */
	size_t failed;       /* index of the failing line, SIZE_MAX: none */
	ss_err err;
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
static int derive_line(struct worker *w, const char *text, size_t len, ss_err *err)
{
	const ss_keybatch *kb = w->kb;
	ss_execution exec;
	ss_execkey key;
	ss_keyrec rec;
	int rc;

	if ((rc = ss_execution_parse_text(text, len, &exec, err)) ||
	    (rc = ss_execkey_batch_derive(&w->derive, &exec, kb->kind, kb->purpose, &key, err)))
		return rc;
	rc = ss_keyrec_from_key(&rec, &key, &exec, kb->kind, kb->purpose, NULL, ss_now(), err);
	if (!rc && kb->secret_dir)
		rc = write_key_file(kb->secret_dir, kb->kind, &key, err);
	ss_execkey_wipe(&key);
	if (rc)
		return rc;
	ss_keyrec_write(&rec, &w->out);
	ss_buf_addc(&w->out, '\n');
	return SS_OK;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const struct chunk *c = w->chunk;

	for (size_t i = w->from; i < w->to; i++)
		if (derive_line(w, (const char *)c->text.data + c->start[i], c->len[i], &w->err)) {
			w->failed = i;
			break;
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
static int run_chunk(struct worker *w, int nw, const struct chunk *c, bool *stdout_failed,
		     ss_err *err)
{
	size_t per = (c->n + (size_t)nw - 1) / (size_t)nw;
	int started = 0, rc = SS_OK;

	for (int i = 0; i < nw; i++) {
		w[i].chunk = c;
		w[i].from = (size_t)i * per < c->n ? (size_t)i * per : c->n;
		w[i].to = w[i].from + per < c->n ? w[i].from + per : c->n;
		w[i].failed = SIZE_MAX;
		ss_buf_reset(&w[i].out);
	}
	/* Worker 0 runs here; a thread that cannot start is done here too. */
	for (int i = 1; i < nw && w[i].from < w[i].to; i++, started++)
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0)
			break;
	work(&w[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(w[i].thread, NULL);
	for (int i = started + 1; i < nw; i++)
		work(&w[i]);
	for (int i = 0; i < nw && !rc; i++) {
		if ((rc = ss_stdout_write(w[i].out.data, w[i].out.len, err))) {
			*stdout_failed = true;
			break;
		}
		if (w[i].failed != SIZE_MAX) {
			*err = w[i].err;
			rc = ss_err_prefix(err, "line %zu", c->first_lineno + w[i].failed);
		}
	}
	return rc;
}

int ss_keybatch_run(const ss_keybatch *kb, const unsigned char prk[SS_HKDF_PRK_LEN], int fd,
		    const char *name, ss_err *err)
{
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
	for (int i = 0; i < nw; i++) {
		w[i].kb = kb;
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
		if (c.n && (rc = run_chunk(w, nw, &c, &stdout_failed, err)))
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
	for (int i = 0; i < nw; i++) {
		ss_execkey_batch_free(&w[i].derive); /* safe on one never set up */
		ss_buf_free(&w[i].out);
	}
	ss_buf_free(&c.text);
	free(c.start);
	free(c.len);
	return rc;
}
