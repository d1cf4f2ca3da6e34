/* The control plane's audit log (<state>/audit.jsonl, schema
 * docs/schemas/ss.audit.v1.schema.json): every decision of enrollment,
 * revocation and verification, each line begun the same way {at, event,
 * decision}, completed by the caller with what that event records, and
 * ended by ss_audit_append with the link of the hash chain.
 *
 * The chain (docs/store.md, "The audit log"):
 *
 *   prev(line 1) = 64 zeros                          (the anchor)
 *   prev(line n) = hex SHA-256 of line n-1's bytes exactly as stored,
 *                  its '\n' included
 *
 * so a line edited, removed or moved breaks the link of the line after it
 * (or, for the first line, the anchor).  <state>/audit.head records the
 * last line {lines, size, sha256}, so lines cut from the end are seen too.
 * Lines are appended under the store lock: no two writers can both link to
 * the same line. */
#ifndef SS_AUDIT_H
#define SS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/io.h"
#include "ss/store.h"

#define SS_AUDIT_HEAD "audit.head"
#define SS_AUDIT_FILTER_MAX 8

/* A new line: at (now), event ("verify", "revoke", ...), decision. */
cJSON *ss_audit_entry(const char *event, const char *decision, int64_t now);
/* Link it to the log's last line ("prev"), append it (one durable write,
 * ss_store_audit) and record the new head, all under the store lock (taken
 * here unless the caller holds it, and then kept); the entry is freed.
 * The head is left as it was when the log no longer matches it (lines
 * were cut or rewritten): the break stays visible to ss_audit_check. */
int ss_audit_append(ss_store *st, cJSON *entry, ss_err *err);

/* The events and decisions lines can have (ss.audit.v1). */
bool ss_audit_is_event(const char *s);
bool ss_audit_is_decision(const char *s);

/* Which lines a listing shows: each condition given must hold; several
 * events or decisions mean any of them. */
typedef struct ss_audit_filter {
	bool has_since;
	int64_t since;           /* at >= since */
	const char *runner_id;   /* NULL: any */
	const char *challenge_id;
	const char *events[SS_AUDIT_FILTER_MAX];
	int nevents;
	const char *decisions[SS_AUDIT_FILTER_MAX];
	int ndecisions;
} ss_audit_filter;

bool ss_audit_match(const ss_audit_filter *f, const cJSON *entry);

/* Reading the log with every link checked, line by line.  The log's size
 * and its head are taken under the store lock when it is opened; lines
 * appended later are not read. */
typedef struct ss_audit_reader {
	ss_store *st;
	int fd;
	uint64_t size;           /* of the log when opened */
	uint64_t offset;         /* bytes read */
	ss_lines in;
	ss_buf bytes;            /* the current line, '\n' included */
	cJSON *entry;
	size_t lineno;           /* of the current line, from 1 */
	size_t unchained;        /* lines at the start, written before lines were chained */
	bool chained;            /* a chained line was read */
	uint8_t last_sha256[32]; /* of the current line */
	bool head;               /* audit.head was there */
	bool head_optional;      /* its absence is no break (appending to an old log) */
	int64_t head_lines;
	uint64_t head_size;
	uint8_t head_sha256[32];
	int64_t first_at, last_at; /* -1: no line with a valid time */
	size_t broken;           /* the line that broke the chain; 0: none */
	char why[600];           /* and why */
	bool done;
} ss_audit_reader;

/* A log that does not exist reads as empty.  A head that is not a head
 * record is SS_REFUSED. */
int ss_audit_open(ss_store *st, ss_audit_reader *r, ss_err *err);
/* The next line: *entry its parsed object (the reader's, valid until the
 * next call), *line and *len its bytes without the '\n'; *entry NULL at the
 * end.  The first line that breaks the chain is SS_REFUSED "audit log line
 * N: why" (r->broken = N): a line that is not a JSON object or has no
 * '\n', a 'prev' that is not the anchor or the previous line's SHA-256, a
 * line without 'prev' after chained ones, the head's line not matching it,
 * or lines missing from the end. */
int ss_audit_next(ss_audit_reader *r, const cJSON **entry, const char **line, size_t *len,
		  ss_err *err);
void ss_audit_close(ss_audit_reader *r);

/* Read the whole log; *report is an ss.audit-check.v1 {type, intact,
 * lines, unchained_lines, first_at, last_at, last_sha256, broken_line,
 * why}.  SS_OK when intact, SS_REFUSED (report set, err naming the line)
 * when broken; other codes: the log could not be read. */
int ss_audit_check(ss_store *st, cJSON **report, ss_err *err);

#endif
