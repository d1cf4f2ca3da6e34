/* The parallel JSONL map: order kept, stop at the first error with every
 * earlier record written whole, blank lines refused. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss/batch.h"
#include "unit.h"

static int echo_or_fail(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err)
{
	(void)worker;
	if (strcmp(line, "bad") == 0)
		return ss_err_set(err, SS_EINPUT, "bad record");
	if (strcmp(line, "no") == 0) {
		ss_buf_adds(out, "refused\n");
		return SS_REFUSED;
	}
	ss_buf_add(out, line, len);
	ss_buf_addc(out, '\n');
	return SS_OK;
}

/* Run the map over input with jobs threads; return what it wrote. */
static char *run(const char *input, int jobs, int *rc, ss_pmap_stats *st, ss_err *err)
{
	char in_path[] = "/tmp/ss-pmap-in-XXXXXX", out_path[] = "/tmp/ss-pmap-out-XXXXXX";
	int in = mkstemp(in_path), out = mkstemp(out_path), saved = dup(1);
	void *workers[SS_PMAP_MAX_JOBS] = { 0 };
	ss_lines r;
	char *text = calloc(1, 1 << 22);
	ssize_t n;

	if (write(in, input, strlen(input)) < 0)
		perror("write");
	lseek(in, 0, SEEK_SET);
	fflush(stdout);
	dup2(out, 1);
	ss_lines_init(&r, in, "input", 1 << 20);
	*rc = ss_pmap_run(&r, jobs, echo_or_fail, workers, st, NULL, err);
	ss_stdout_flush(err);
	dup2(saved, 1);
	close(saved);
	ss_lines_free(&r);
	lseek(out, 0, SEEK_SET);
	n = read(out, text, (1 << 22) - 1);
	text[n > 0 ? n : 0] = 0;
	close(in);
	close(out);
	unlink(in_path);
	unlink(out_path);
	return text;
}

TEST(pmap_keeps_order_with_many_threads)
{
	char *input = malloc(200000), *want = malloc(200000), *got;
	size_t k = 0;
	ss_pmap_stats st;
	ss_err err = { 0 };
	int rc;

	input[0] = want[0] = 0;
	for (int i = 0; i < 10000; i++)
		k += (size_t)sprintf(input + k, "line-%d\n", i);
	strcpy(want, input);
	got = run(input, 4, &rc, &st, &err);
	CHECK(rc == SS_OK && st.lines == 10000 && st.refused == 0);
	CHECK(strcmp(got, want) == 0);
	free(got);
	free(input);
	free(want);
}

TEST(pmap_stops_at_first_error_after_complete_records)
{
	ss_pmap_stats st;
	ss_err err = { 0 };
	int rc;
	char *got = run("a\nno\nb\nbad\nc\n", 2, &rc, &st, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 4: bad record");
	CHECK_STR(got, "a\nrefused\nb\n");
	CHECK(st.refused == 1);
	free(got);
}

TEST(pmap_refuses_blank_lines)
{
	ss_pmap_stats st;
	ss_err err = { 0 };
	int rc;
	char *got = run("a\n\nb\n", 1, &rc, &st, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 2: empty line");
	CHECK_STR(got, "a\n");
	free(got);
}

int main(void)
{
	RUN(pmap_keeps_order_with_many_threads);
	RUN(pmap_stops_at_first_error_after_complete_records);
	RUN(pmap_refuses_blank_lines);
	return unit_done();
}
