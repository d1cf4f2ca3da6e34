#include "ss/key_batch.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ss/batch.h"
#include "ss/buf.h"
#include "ss/execution_text.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/key_material.h"
#include "ss/key_record.h"
#include "ss/secret.h"
#include "ss/timefmt.h"

/* A worker: the derivation contexts one thread keys once (ss/execution_key.h). */
struct worker {
	const ss_keybatch *kb;
	ss_execkey_batch derive;
};

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

/* One line (an ss_batch_map_fn): parse strictly, derive, write the key file
 * if asked, append the record (with its '\n') to out. */
static int derive_line(void *worker, const char *text, size_t len, ss_buf *out, ss_err *err)
{
	struct worker *w = worker;
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
	ss_keyrec_write(&rec, out);
	ss_buf_addc(out, '\n');
	return SS_OK;
}

int ss_keybatch_run(const ss_keybatch *kb, const unsigned char prk[SS_HKDF_PRK_LEN], int fd,
		    const char *name, ss_err *err)
{
	struct worker w[SS_BATCH_MAX_JOBS];
	void *workers[SS_BATCH_MAX_JOBS];
	/* With a secret directory, one line at a time in order: each key file
	 * is written before its record, none for a line after a failing one. */
	ss_batch b = { .map = derive_line, .workers = workers,
		       .jobs = kb->secret_dir ? 1 : kb->jobs, .progress = "derive" };
	ss_batch_stats stats;
	ss_lines in;
	int rc = SS_OK;

	if (b.jobs < 1 || b.jobs > SS_BATCH_MAX_JOBS)
		return ss_err_set(err, SS_EUSAGE, "jobs: %d is not in 1..%d", b.jobs,
				  SS_BATCH_MAX_JOBS);
	memset(w, 0, sizeof w);
	for (int i = 0; i < b.jobs; i++) {
		w[i].kb = kb;
		workers[i] = &w[i];
		if ((rc = ss_execkey_batch_init(&w[i].derive, prk, err)))
			goto out;
	}
	ss_lines_init(&in, fd, name, SS_JSON_MAX_SIZE);
	rc = ss_batch_run(&b, &in, &stats, err);
	ss_lines_free(&in);
out:
	for (int i = 0; i < b.jobs; i++)
		ss_execkey_batch_free(&w[i].derive); /* safe on one never set up */
	return rc;
}
