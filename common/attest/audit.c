/* The audit log: lines, their hash chain, the head record, and reading it
 * back with every link checked (ss/audit.h; docs/store.md). */
#include "ss/audit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/json.h"
#include "ss/timefmt.h"

static const char *const events[] = { "enroll-challenge", "enroll-verify", "revoke", "verify",
				      NULL };
static const char *const decisions[] = { "issued",  "enrolled", "revoked", "approved",
					 "denied",  "refused",  "aborted", NULL };

static bool one_of(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool ss_audit_is_event(const char *s)
{
	return one_of(events, s);
}

bool ss_audit_is_decision(const char *s)
{
	return one_of(decisions, s);
}

cJSON *ss_audit_entry(const char *event, const char *decision, int64_t now)
{
	cJSON *e = ss_json_new_object();

	ss_json_add_time(e, "at", now);
	ss_json_add_string(e, "event", event);
	ss_json_add_string(e, "decision", decision);
	return e;
}

/* ---- the head record ------------------------------------------------------- */

struct head {
	int64_t lines;
	int64_t size;
	uint8_t sha256[32];
};

/* audit.head: *found = false when there is none; one that is not a head
 * record is SS_REFUSED (it can only have been written by someone else). */
static int head_read(ss_store *st, struct head *h, bool *found, ss_err *err)
{
	static const char *const members[] = { "lines", "size", "sha256", NULL };
	cJSON *doc = NULL;
	int rc;

	memset(h, 0, sizeof *h);
	if ((rc = ss_store_get_json(st, NULL, SS_AUDIT_HEAD, &doc, found, err)) == SS_EINPUT)
		return err->code = SS_REFUSED;
	if (rc || !*found)
		return rc;
	if ((rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_int(doc, "", "lines", 1, SS_JSON_MAX_INT, &h->lines, err)) ||
	    (rc = ss_json_int(doc, "", "size", 1, SS_JSON_MAX_INT, &h->size, err)) ||
	    (rc = ss_json_hex(doc, "", "sha256", 32, h->sha256, 32, NULL, err))) {
		ss_err_prefix(err, "%s/%s", st->dir, SS_AUDIT_HEAD);
		rc = err->code = SS_REFUSED;
	}
	cJSON_Delete(doc);
	return rc;
}

static int head_write(ss_store *st, int64_t lines, uint64_t size, const uint8_t sha256[32],
		      ss_err *err)
{
	cJSON *doc = ss_json_new_object();
	ss_buf text = SS_BUF_INIT;
	int rc;

	ss_json_add_int(doc, "lines", lines);
	ss_json_add_int(doc, "size", (int64_t)size);
	ss_json_add_hex(doc, "sha256", sha256, 32);
	ss_json_write(doc, &text);
	ss_buf_addc(&text, '\n');
	cJSON_Delete(doc);
	rc = ss_store_put(st, NULL, SS_AUDIT_HEAD, text.data, text.len, false, err);
	ss_buf_free(&text);
	return rc;
}

/* ---- appending ------------------------------------------------------------- */

/* How many lines the log has before this append, when its head can be
 * trusted for it; false when the log no longer matches its head (or, with
 * no head, when lines were chained already: the head was removed). */
static bool lines_before(ss_store *st, const struct head *h, bool have_head, uint64_t size,
			 const uint8_t last_sha256[32], bool torn, int64_t *lines)
{
	ss_audit_reader r;
	const cJSON *e;
	const char *l;
	size_t len;
	ss_err ignore = { 0 };
	bool ok;

	*lines = 0;
	if (!size)
		return !have_head;
	/* The usual case: the head is the log's last line. */
	if (have_head && !torn && (uint64_t)h->size == size &&
	    memcmp(h->sha256, last_sha256, 32) == 0) {
		*lines = h->lines;
		return true;
	}
	/* Otherwise read it all: a head a crash left behind the log is still
	 * one of its lines; an old log without a head gets one. */
	if (ss_audit_open(st, &r, &ignore))
		return false;
	r.head_optional = true;
	while (!ss_audit_next(&r, &e, &l, &len, &ignore) && e)
		;
	ok = r.done && !r.broken && (have_head || !r.chained);
	*lines = (int64_t)r.lineno;
	ss_audit_close(&r);
	return ok;
}

int ss_audit_append(ss_store *st, cJSON *entry, ss_err *err)
{
	static const uint8_t anchor[32];
	bool took = st->lock_fd < 0, have_head = false, torn, trusted;
	uint8_t prev[32], own[32];
	ss_buf last = SS_BUF_INIT, line = SS_BUF_INIT;
	struct head h;
	uint64_t size = 0;
	int64_t lines = 0;
	ss_err ignore = { 0 };
	size_t start;
	int rc;

	if ((rc = ss_store_lock(st, err)))
		goto out;
	if ((rc = ss_store_audit_tail(st, &size, &last, err)))
		goto unlock;
	/* A head that cannot be read is left alone: the check reports it. */
	if (head_read(st, &h, &have_head, &ignore))
		have_head = false, h.lines = -1;
	/* A last line cut short (a crash inside its write) is ended first, so
	 * that this line starts on a line of its own. */
	torn = last.len && last.data[last.len - 1] != '\n';
	if (torn) {
		ss_buf_addc(&last, '\n');
		ss_buf_addc(&line, '\n');
	}
	memcpy(prev, anchor, sizeof prev);
	if (last.len && (rc = ss_sha256(last.data, last.len, prev, err)))
		goto unlock;
	trusted = h.lines >= 0 && lines_before(st, &h, have_head, size, prev, torn, &lines);
	ss_json_add_hex(entry, "prev", prev, sizeof prev);
	start = line.len;
	ss_json_write(entry, &line);
	ss_buf_addc(&line, '\n');
	if ((rc = ss_sha256(line.data + start, line.len - start, own, err)) ||
	    (rc = ss_store_audit(st, line.data, line.len, err)))
		goto unlock;
	if (trusted)
		rc = head_write(st, lines + 1, size + line.len, own, err);
unlock:
	if (took)
		ss_store_unlock(st);
out:
	cJSON_Delete(entry);
	ss_buf_free(&last);
	ss_buf_free(&line);
	return rc;
}

/* ---- filters ----------------------------------------------------------------- */

static const char *member_string(const cJSON *e, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static bool any_of(const char *const *list, int n, const char *s)
{
	if (!n)
		return true;
	for (int i = 0; s && i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

bool ss_audit_match(const ss_audit_filter *f, const cJSON *e)
{
	const char *s;
	int64_t at;

	if (f->has_since && (!(s = member_string(e, "at")) || !ss_time_parse(s, &at) ||
			     at < f->since))
		return false;
	if (f->runner_id && (!(s = member_string(e, "runner_id")) || strcmp(s, f->runner_id)))
		return false;
	if (f->challenge_id &&
	    (!(s = member_string(e, "challenge_id")) || strcmp(s, f->challenge_id)))
		return false;
	return any_of(f->events, f->nevents, member_string(e, "event")) &&
	       any_of(f->decisions, f->ndecisions, member_string(e, "decision"));
}

/* ---- reading ----------------------------------------------------------------- */

int ss_audit_open(ss_store *st, ss_audit_reader *r, ss_err *err)
{
	bool took = st->lock_fd < 0;
	struct head h;
	int rc;

	memset(r, 0, sizeof *r);
	r->st = st;
	r->fd = -1;
	r->first_at = r->last_at = -1;
	/* The size and the head together, as one writer left them. */
	if ((rc = ss_store_lock(st, err)))
		return rc;
	if (!(rc = ss_store_audit_open(st, &r->fd, &r->size, err)))
		rc = head_read(st, &h, &r->head, err);
	if (took)
		ss_store_unlock(st);
	if (rc) {
		ss_audit_close(r);
		return rc;
	}
	r->head_lines = h.lines;
	r->head_size = (uint64_t)h.size;
	memcpy(r->head_sha256, h.sha256, sizeof h.sha256);
	ss_lines_init(&r->in, r->fd, "audit log", SS_JSON_MAX_SIZE);
	return SS_OK;
}

void ss_audit_close(ss_audit_reader *r)
{
	if (r->fd >= 0) {
		ss_lines_free(&r->in);
		close(r->fd);
	}
	r->fd = -1;
	cJSON_Delete(r->entry);
	r->entry = NULL;
	ss_buf_free(&r->bytes);
}

static int broken(ss_audit_reader *r, size_t line, ss_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int broken(ss_audit_reader *r, size_t line, ss_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	r->broken = line;
	r->done = true;
	cJSON_Delete(r->entry);
	r->entry = NULL;
	return ss_err_set(err, SS_REFUSED, "audit log line %zu: %s", line, r->why);
}

/* After the last line: the head's line was among them, or lines are
 * missing from the end. */
static int at_end(ss_audit_reader *r, ss_err *err)
{
	r->done = true;
	if (!r->head) {
		if (r->chained && !r->head_optional)
			return broken(r, r->lineno + 1, err,
				      "cannot be told: %s is missing, so lines cut from the end of "
				      "the log would not show", SS_AUDIT_HEAD);
		return SS_OK;
	}
	if (r->head_lines > (int64_t)r->lineno)
		return broken(r, r->lineno + 1, err,
			      "missing: %s records %lld lines, the log has %zu (lines were cut from "
			      "its end)", SS_AUDIT_HEAD, (long long)r->head_lines, r->lineno);
	return SS_OK;
}

/* The chain's link of the current line. */
static int check_link(ss_audit_reader *r, ss_err *err)
{
	static const uint8_t anchor[32];
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(r->entry, "prev");
	uint8_t want[32];
	size_t n = 0;

	if (!prev) {
		if (r->chained)
			return broken(r, r->lineno, err,
				      "no 'prev' member, but the lines before it are chained");
		r->unchained++;
		return SS_OK;
	}
	if (!cJSON_IsString(prev) ||
	    !ss_hex_decode(prev->valuestring, strlen(prev->valuestring), want, sizeof want, &n) ||
	    n != sizeof want)
		return broken(r, r->lineno, err, "'prev' is not 64 lowercase hex digits");
	if (r->lineno == 1 && memcmp(want, anchor, sizeof want) != 0)
		return broken(r, r->lineno, err,
			      "'prev' is not the chain's anchor (64 zeros): lines before it were "
			      "removed");
	if (r->lineno > 1 && memcmp(want, r->last_sha256, sizeof want) != 0)
		return broken(r, r->lineno, err,
			      "'prev' is not the SHA-256 of line %zu (line %zu was changed, or lines "
			      "were removed or moved)", r->lineno - 1, r->lineno - 1);
	r->chained = true;
	return SS_OK;
}

int ss_audit_next(ss_audit_reader *r, const cJSON **entry, const char **line, size_t *len,
		  ss_err *err)
{
	uint8_t own[32];
	const char *l;
	size_t n;
	ss_err why = { 0 };
	int64_t at;
	int rc;

	*entry = NULL;
	*line = NULL;
	*len = 0;
	cJSON_Delete(r->entry);
	r->entry = NULL;
	if (r->done)
		return SS_OK;
	if (r->fd < 0 || r->offset >= r->size)
		return at_end(r, err);
	if ((rc = ss_lines_next(&r->in, &l, &n, &why)) == SS_EINPUT)
		return broken(r, r->lineno + 1, err, "longer than %zu bytes", (size_t)SS_JSON_MAX_SIZE);
	if (rc) {
		*err = why;
		return rc;
	}
	if (!l)
		return at_end(r, err); /* shorter than when it was opened */
	r->lineno++;
	r->offset += n + 1;
	if (r->offset > r->size)
		return broken(r, r->lineno, err,
			      "incomplete: no newline at its end (the log was cut inside it)");
	ss_buf_reset(&r->bytes);
	ss_buf_add(&r->bytes, l, n);
	ss_buf_addc(&r->bytes, '\n');
	if ((rc = ss_sha256(r->bytes.data, r->bytes.len, own, err)))
		return rc;
	if (ss_json_parse(l, n, &r->entry, &why))
		return broken(r, r->lineno, err, "not a JSON object: %s", why.msg);
	if ((rc = check_link(r, err)))
		return rc;
	if (r->head && (int64_t)r->lineno == r->head_lines &&
	    (r->offset != r->head_size || memcmp(own, r->head_sha256, sizeof own) != 0))
		return broken(r, r->lineno, err,
			      "not the line %s records (the log up to it was rewritten)",
			      SS_AUDIT_HEAD);
	memcpy(r->last_sha256, own, sizeof own);
	if (!ss_json_time(r->entry, "", "at", &at, NULL)) {
		if (r->first_at < 0)
			r->first_at = at;
		r->last_at = at;
	}
	*entry = r->entry;
	*line = (const char *)r->bytes.data;
	*len = n;
	return SS_OK;
}

int ss_audit_check(ss_store *st, cJSON **report, ss_err *err)
{
	ss_audit_reader r;
	const cJSON *e;
	const char *l;
	size_t len;
	int rc;

	*report = NULL;
	if ((rc = ss_audit_open(st, &r, err)))
		return rc;
	while (!(rc = ss_audit_next(&r, &e, &l, &len, err)) && e)
		;
	if (rc && rc != SS_REFUSED) {
		ss_audit_close(&r);
		return rc;
	}
	*report = ss_json_new_object();
	ss_json_add_string(*report, "type", "ss.audit-check.v1");
	ss_json_add_bool(*report, "intact", rc == SS_OK);
	ss_json_add_int(*report, "lines", (int64_t)(rc ? r.broken - 1 : r.lineno));
	ss_json_add_int(*report, "unchained_lines", (int64_t)r.unchained);
	if (r.first_at >= 0) {
		ss_json_add_time(*report, "first_at", r.first_at);
		ss_json_add_time(*report, "last_at", r.last_at);
	} else {
		ss_json_add_null(*report, "first_at");
		ss_json_add_null(*report, "last_at");
	}
	if (!rc && r.lineno)
		ss_json_add_hex(*report, "last_sha256", r.last_sha256, sizeof r.last_sha256);
	else
		ss_json_add_null(*report, "last_sha256");
	if (rc) {
		ss_json_add_int(*report, "broken_line", (int64_t)r.broken);
		ss_json_add_string(*report, "why", r.why);
	} else {
		ss_json_add_null(*report, "broken_line");
		ss_json_add_null(*report, "why");
	}
	ss_audit_close(&r);
	return rc;
}
