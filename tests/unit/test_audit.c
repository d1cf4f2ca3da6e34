/* The audit log's hash chain: each line's prev is the SHA-256 of the line
 * before it (computed here with OpenSSL's one-shot SHA256, not the code
 * under test), the first line's is 64 zeros, and every edit, removal,
 * move or cut is reported at the first line whose link it breaks.  The
 * suites do the same on logs that real verifies wrote. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "ss/audit.h"
#include "ss/enc.h"
#include "ss/json.h"
#include "ss/store.h"
#include "unit.h"

static char dir[256];
static int nstate;

static const char *path(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

/* A fresh state directory with n lines appended, open in st. */
static void state_with(ss_store *st, int n, char *name, size_t len)
{
	ss_err err = { 0 };

	snprintf(name, len, "state%d", ++nstate);
	*st = (ss_store)SS_STORE_INIT;
	CHECK(ss_store_open(st, path(name), &err) == SS_OK);
	for (int i = 1; i <= n; i++) {
		cJSON *e = ss_audit_entry("verify", i % 2 ? "approved" : "denied", 1790000000 + i);
		ss_json_add_int(e, "n", i);
		CHECK(ss_audit_append(st, e, &err) == SS_OK);
	}
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *b = calloc(1, 1 << 20);

	*len = f ? fread(b, 1, (1 << 20) - 1, f) : 0;
	if (f)
		fclose(f);
	return b;
}

static void spit(const char *p, const char *b, size_t len)
{
	FILE *f = fopen(p, "wb");

	fwrite(b, 1, len, f);
	fclose(f);
}

/* The log's lines, each with its '\n', into lines[] (at most 16). */
static int split(char *b, size_t len, char *lines[16], size_t lens[16])
{
	int n = 0;

	for (size_t i = 0; i < len && n < 16;) {
		char *nl = memchr(b + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (b + i)) + 1 : len - i;
		lines[n] = b + i;
		lens[n++] = l;
		i += l;
	}
	return n;
}

/* Write the lines back in the order given by idx (-1 ends it). */
static void rewrite(const char *p, char *lines[16], size_t lens[16], const int *idx)
{
	FILE *f = fopen(p, "wb");

	for (; *idx >= 0; idx++)
		fwrite(lines[*idx], 1, lens[*idx], f);
	fclose(f);
}

/* ss_audit_check on st: the exit it gives and its message. */
static int check(ss_store *st, char *msg, size_t len)
{
	ss_err err = { 0 };
	cJSON *report = NULL;
	int rc = ss_audit_check(st, &report, &err);

	snprintf(msg, len, "%s", rc ? err.msg : "");
	cJSON_Delete(report);
	return rc;
}

TEST(each_line_carries_the_sha256_of_the_line_before)
{
	char name[32], log[300], *b, *lines[16], want[65];
	size_t len, lens[16];
	unsigned char md[32];
	ss_store st;
	int n;

	state_with(&st, 3, name, sizeof name);
	snprintf(log, sizeof log, "%s/audit.jsonl", name);
	b = slurp(path(log), &len);
	n = split(b, len, lines, lens);
	CHECK(n == 3);
	CHECK(strstr(lines[0], "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n") != NULL);
	for (int i = 1; i < n; i++) {
		SHA256((unsigned char *)lines[i - 1], lens[i - 1], md);
		ss_hex_encode(md, sizeof md, want);
		CHECK(strstr(lines[i], want) != NULL);
	}
	/* The head: three lines, the log's size, the last line's hash. */
	{
		char head[300], *h, expect[200];
		size_t hl;
		snprintf(head, sizeof head, "%s/audit.head", name);
		h = slurp(path(head), &hl);
		SHA256((unsigned char *)lines[2], lens[2], md);
		ss_hex_encode(md, sizeof md, want);
		snprintf(expect, sizeof expect, "{\"lines\":3,\"size\":%zu,\"sha256\":\"%s\"}\n", len,
			 want);
		CHECK_STR(h, expect);
		free(h);
	}
	CHECK(check(&st, log, sizeof log) == SS_OK);
	ss_store_close(&st);
	free(b);
}

/* Tamper with a 5-line log: idx the new order of its lines, edit a byte
 * to change in line edit (0-based; -1 none); the check must name line. */
static void tampered(const int *idx, int edit, int line, const char *why)
{
	char name[32], log[300], msg[1024], want[1200], *b, *lines[16];
	size_t len, lens[16];
	ss_store st;

	state_with(&st, 5, name, sizeof name);
	snprintf(log, sizeof log, "%s/audit.jsonl", name);
	b = slurp(path(log), &len);
	split(b, len, lines, lens);
	if (edit >= 0)
		strstr(lines[edit], "\"n\":")[4] = '9'; /* still JSON, same length */
	rewrite(path(log), lines, lens, idx);
	CHECK(check(&st, msg, sizeof msg) == SS_REFUSED);
	snprintf(want, sizeof want, "audit log line %d: %s", line, why);
	CHECK_STR(msg, want);
	ss_store_close(&st);
	free(b);
}

TEST(an_edited_line_breaks_the_link_of_the_next)
{
	static const int same[] = { 0, 1, 2, 3, 4, -1 };

	tampered(same, 1, 3, "'prev' is not the SHA-256 of line 2 (line 2 was changed, or lines "
			     "were removed or moved)");
	/* The last line has no next: the head vouches for it. */
	tampered(same, 4, 5, "not the line audit.head records (the log up to it was rewritten)");
}

TEST(an_edited_last_line_that_is_still_json_fails_the_head)
{
	char name[32], log[300], msg[1024], *b;
	size_t len;
	ss_store st;

	state_with(&st, 2, name, sizeof name);
	snprintf(log, sizeof log, "%s/audit.jsonl", name);
	b = slurp(path(log), &len);
	*strstr(b + len - 120, "denied") = 'D';
	spit(path(log), b, len);
	CHECK(check(&st, msg, sizeof msg) == SS_REFUSED);
	CHECK_STR(msg, "audit log line 2: not the line audit.head records (the log up to it was "
		       "rewritten)");
	ss_store_close(&st);
	free(b);
}

TEST(removed_moved_and_cut_lines_are_named)
{
	static const int no_first[] = { 1, 2, 3, 4, -1 };
	static const int no_third[] = { 0, 1, 3, 4, -1 };
	static const int swapped[] = { 0, 2, 1, 3, 4, -1 };
	static const int no_last[] = { 0, 1, 2, 3, -1 };

	tampered(no_first, -1, 1,
		 "'prev' is not the chain's anchor (64 zeros): lines before it were removed");
	tampered(no_third, -1, 3, "'prev' is not the SHA-256 of line 2 (line 2 was changed, or "
				  "lines were removed or moved)");
	tampered(swapped, -1, 2, "'prev' is not the SHA-256 of line 1 (line 1 was changed, or "
				 "lines were removed or moved)");
	tampered(no_last, -1, 5, "missing: audit.head records 5 lines, the log has 4 (lines were "
				 "cut from its end)");
}

TEST(a_log_cut_inside_a_line_is_named_at_that_line)
{
	char name[32], log[300], msg[1024], *b, *lines[16];
	size_t len, lens[16];
	ss_store st;

	state_with(&st, 3, name, sizeof name);
	snprintf(log, sizeof log, "%s/audit.jsonl", name);
	b = slurp(path(log), &len);
	split(b, len, lines, lens);
	CHECK(truncate(path(log), (off_t)(lens[0] + 10)) == 0);
	CHECK(check(&st, msg, sizeof msg) == SS_REFUSED);
	CHECK_STR(msg, "audit log line 2: incomplete: no newline at its end (the log was cut "
		       "inside it)");
	ss_store_close(&st);
	free(b);
}

TEST(appending_after_a_cut_keeps_the_break_visible)
{
	char name[32], log[300], msg[1024], *b, *lines[16];
	size_t len, lens[16];
	static const int first_two[] = { 0, 1, -1 };
	ss_store st;
	ss_err err = { 0 };

	state_with(&st, 4, name, sizeof name);
	snprintf(log, sizeof log, "%s/audit.jsonl", name);
	b = slurp(path(log), &len);
	split(b, len, lines, lens);
	rewrite(path(log), lines, lens, first_two);
	/* The next line links to what is there now, but the head stays. */
	CHECK(ss_audit_append(&st, ss_audit_entry("revoke", "revoked", 1790000100), &err) == SS_OK);
	CHECK(check(&st, msg, sizeof msg) == SS_REFUSED);
	CHECK_STR(msg, "audit log line 4: missing: audit.head records 4 lines, the log has 3 (lines "
		       "were cut from its end)");
	ss_store_close(&st);
	free(b);
}

TEST(a_removed_head_is_reported_not_recreated)
{
	char name[32], head[300], msg[1024];
	ss_store st;
	ss_err err = { 0 };

	state_with(&st, 2, name, sizeof name);
	snprintf(head, sizeof head, "%s/audit.head", name);
	CHECK(unlink(path(head)) == 0);
	CHECK(ss_audit_append(&st, ss_audit_entry("revoke", "revoked", 1790000100), &err) == SS_OK);
	CHECK(access(path(head), F_OK) != 0);
	CHECK(check(&st, msg, sizeof msg) == SS_REFUSED);
	CHECK_STR(msg, "audit log line 4: cannot be told: audit.head is missing, so lines cut from "
		       "the end of the log would not show");
	ss_store_close(&st);
}

TEST(a_log_from_before_the_chain_is_chained_from_its_end)
{
	static const char old[] = "{\"at\":\"2026-01-01T00:00:00Z\",\"event\":\"revoke\","
				  "\"decision\":\"revoked\",\"ak_name\":\"000b00\"}\n";
	char name[32], log[300], msg[1024], want[65];
	unsigned char md[32];
	ss_store st;
	ss_err err = { 0 };
	cJSON *report = NULL;

	snprintf(name, sizeof name, "state%d", ++nstate);
	st = (ss_store)SS_STORE_INIT;
	CHECK(ss_store_open(&st, path(name), &err) == SS_OK);
	snprintf(log, sizeof log, "%s/audit.jsonl", name);
	{
		char two[sizeof old * 2];
		snprintf(two, sizeof two, "%s%s", old, old);
		spit(path(log), two, strlen(two));
	}
	CHECK(ss_audit_append(&st, ss_audit_entry("revoke", "revoked", 1790000100), &err) == SS_OK);
	CHECK(ss_audit_append(&st, ss_audit_entry("revoke", "revoked", 1790000200), &err) == SS_OK);
	CHECK(ss_audit_check(&st, &report, &err) == SS_OK);
	CHECK(cJSON_GetObjectItemCaseSensitive(report, "lines")->valueint == 4);
	CHECK(cJSON_GetObjectItemCaseSensitive(report, "unchained_lines")->valueint == 2);
	cJSON_Delete(report);
	{
		size_t len;
		char *b = slurp(path(log), &len);
		SHA256((const unsigned char *)old, strlen(old), md);
		ss_hex_encode(md, sizeof md, want);
		CHECK(strstr(b + 2 * strlen(old), want) != NULL);
		free(b);
	}
	(void)msg;
	ss_store_close(&st);
}

TEST(concurrent_writers_keep_one_chain)
{
	char name[32], msg[1024];
	ss_store st;
	cJSON *report = NULL;
	ss_err err = { 0 };
	pid_t kids[4];

	state_with(&st, 0, name, sizeof name);
	ss_store_close(&st);
	for (int k = 0; k < 4; k++)
		if ((kids[k] = fork()) == 0) {
			ss_store mine = SS_STORE_INIT;
			int bad = ss_store_open(&mine, path(name), &err);
			for (int i = 0; !bad && i < 50; i++)
				bad = ss_audit_append(&mine, ss_audit_entry("verify", "denied", i), &err);
			ss_store_close(&mine);
			_exit(bad);
		}
	for (int k = 0; k < 4; k++) {
		int status = 0;
		waitpid(kids[k], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	st = (ss_store)SS_STORE_INIT;
	CHECK(ss_store_open(&st, path(name), &err) == SS_OK);
	CHECK(check(&st, msg, sizeof msg) == SS_OK);
	CHECK(ss_audit_check(&st, &report, &err) == SS_OK);
	CHECK(cJSON_GetObjectItemCaseSensitive(report, "lines")->valueint == 200);
	cJSON_Delete(report);
	ss_store_close(&st);
}

TEST(filters_match_what_they_name)
{
	cJSON *e = ss_audit_entry("verify", "denied", 1790000000);
	ss_audit_filter f = { 0 };

	ss_json_add_string(e, "runner_id", "runner-1");
	CHECK(ss_audit_match(&f, e));
	f.has_since = true;
	f.since = 1790000000;
	CHECK(ss_audit_match(&f, e));
	f.since++;
	CHECK(!ss_audit_match(&f, e));
	f.has_since = false;
	f.runner_id = "runner-2";
	CHECK(!ss_audit_match(&f, e));
	f.runner_id = "runner-1";
	f.decisions[f.ndecisions++] = "approved";
	CHECK(!ss_audit_match(&f, e));
	f.decisions[f.ndecisions++] = "denied";
	CHECK(ss_audit_match(&f, e));
	f.events[f.nevents++] = "revoke";
	CHECK(!ss_audit_match(&f, e));
	CHECK(ss_audit_is_event("enroll-verify") && !ss_audit_is_event("verfy"));
	CHECK(ss_audit_is_decision("aborted") && !ss_audit_is_decision("approve"));
	cJSON_Delete(e);
}

int main(void)
{
	char cmd[300];
	int rc;

	snprintf(dir, sizeof dir, "%s/ss-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 99;
	RUN(each_line_carries_the_sha256_of_the_line_before);
	RUN(an_edited_line_breaks_the_link_of_the_next);
	RUN(an_edited_last_line_that_is_still_json_fails_the_head);
	RUN(removed_moved_and_cut_lines_are_named);
	RUN(a_log_cut_inside_a_line_is_named_at_that_line);
	RUN(appending_after_a_cut_keeps_the_break_visible);
	RUN(a_removed_head_is_reported_not_recreated);
	RUN(a_log_from_before_the_chain_is_chained_from_its_end);
	RUN(concurrent_writers_keep_one_chain);
	RUN(filters_match_what_they_name);
	rc = unit_done();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
