/* ss-collision-check: proof after the fact that no two tenants shared a
 * session binding, a key or a nonce.  Session, key and telemetry records
 * (JSONL) in, one ss.collision-report.v1 out; the rules are in
 * ss/collision_tracker.h and ss-collision-check(1). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ss/batch.h"
#include "ss/collision_report.h"
#include "ss/collision_run.h"
#include "ss/collision_stress.h"
#include "ss/collision_tracker.h"
#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/num.h"
#include "ss/opt.h"
#include "ss/prog.h"

enum {
	OPT_MAX_EXAMPLES = SS_OPT_FIRST, OPT_PARTITION, OPT_JOBS, OPT_STATS, OPT_TENANTS,
	OPT_EXECUTIONS, OPT_SEED,
};

static ss_cmd_fn run_check, run_stress, run_merge;
static ss_opt_set_fn set_option;

static const ss_opt opts[] = {
	{ "max-examples", OPT_MAX_EXAMPLES, "N",
	  "violations shown as examples (0..1000, default 10)" },
	{ "partition", OPT_PARTITION, "I/N",
	  "track only the values in partition I of N (see merge)" },
	{ "jobs", OPT_JOBS, "N", "threads (default: the CPUs it may run on)" },
	{ "stats", OPT_STATS, NULL, "state size and rate on standard error at the end" },
	{ "tenants", OPT_TENANTS, "N", "tenants to make up (1..1000000)" },
	{ "executions", OPT_EXECUTIONS, "M", "executions per tenant (1..1000000)" },
	{ "seed", OPT_SEED, "S", "seed of the made-up sessions (default: random)" },
	{ NULL },
};

static const ss_cmd check_form = {
	.run = run_check,
	.synopsis = "[--max-examples N] [--partition I/N] [--jobs N] [--stats] [FILE ...]",
	.example = "ss-collision-check sessions.jsonl keys.jsonl telemetry.jsonl > report.json",
	.opts = { OPT_MAX_EXAMPLES, OPT_PARTITION, OPT_JOBS, OPT_STATS },
	.more_operands = true,
};

static const ss_cmd cmds[] = {
	{ .name = "stress", .run = run_stress,
	  .synopsis = "--tenants N --executions M [--seed S] [--jobs N]",
	  .help = "derive tenants x executions sessions and keys with the toolkit's code and "
		  "check them",
	  .example = "ss-collision-check stress --tenants 100 --executions 1000 --seed 1",
	  .opts = { OPT_TENANTS, OPT_EXECUTIONS, OPT_SEED, OPT_JOBS, OPT_MAX_EXAMPLES, OPT_STATS },
	  .needs = { OPT_TENANTS, OPT_EXECUTIONS } },
	{ .name = "merge", .run = run_merge,
	  .synopsis = "[REPORT ...]",
	  .help = "combine the partial reports of --partition runs into the report of one run",
	  .example = "ss-collision-check merge part-*.json > report.json",
	  .more_operands = true },
	{ NULL },
};

static const ss_tool tool = {
	.name = "ss-collision-check",
	.summary = "Check session, key and telemetry records (JSONL) for tenants that share a "
		   "session\nbinding, a key or a nonce, and print an ss.collision-report.v1 "
		   "verdict.",
	.opts = opts,
	.cmds = cmds,
	.bare = &check_form,
	.set = set_option,
};

struct args {
	size_t max_examples;
	uint32_t part_index, part_count;
	int jobs;
	bool stats, has_seed;
	uint64_t tenants, executions, seed;
	char **operands;
	int noperands;
};

static int parse_partition(const char *s, struct args *a, ss_err *err)
{
	const char *slash = strchr(s, '/');
	char index[24];
	uint64_t i, n;

	if (!slash || (size_t)(slash - s) >= sizeof index)
		goto bad;
	memcpy(index, s, (size_t)(slash - s));
	index[slash - s] = 0;
	if (!ss_parse_u64(slash + 1, 1, SS_COLLISION_MAX_PARTITIONS, &n) ||
	    !ss_parse_u64(index, 1, n, &i))
		goto bad;
	a->part_index = (uint32_t)i;
	a->part_count = (uint32_t)n;
	return SS_OK;
bad:
	return ss_err_set(err, SS_EUSAGE,
			  "--partition: '%.64s' is not I/N with 1 <= I <= N <= %d", s,
			  SS_COLLISION_MAX_PARTITIONS);
}

static int set_option(void *args, int key, const char *arg, ss_err *err)
{
	struct args *a = args;
	uint64_t n;
	int rc;

	switch (key) {
	case OPT_MAX_EXAMPLES:
		if ((rc = ss_opt_u64("--max-examples", arg, 0, SS_COLLISION_MAX_EXAMPLES, &n, err)))
			return rc;
		a->max_examples = (size_t)n;
		break;
	case OPT_PARTITION: return parse_partition(arg, a, err);
	case OPT_JOBS:
		if ((rc = ss_opt_u64("--jobs", arg, 1, SS_BATCH_MAX_JOBS, &n, err)))
			return rc;
		a->jobs = (int)n;
		break;
	case OPT_STATS: a->stats = true; break;
	case OPT_TENANTS:
		return ss_opt_u64("--tenants", arg, 1, SS_STRESS_MAX_SIDE, &a->tenants, err);
	case OPT_EXECUTIONS:
		return ss_opt_u64("--executions", arg, 1, SS_STRESS_MAX_SIDE, &a->executions, err);
	case OPT_SEED:
		a->has_seed = true;
		return ss_opt_u64("--seed", arg, 0, UINT64_MAX, &a->seed, err);
	case SS_OPERAND:
		a->operands[a->noperands++] = (char *)arg;
		break;
	}
	return SS_OK;
}

/* The report on stdout; status 1 when it shows a violation, with a line
 * on stderr that counts them by kind. */
static int print_report(const ss_collision_report *r, ss_err *err)
{
	cJSON *doc = ss_collision_report_to_json(r);
	uint64_t v = ss_collision_report_violations(r);
	ss_buf why = SS_BUF_INIT;
	int rc = ss_json_print_line(doc, err);

	cJSON_Delete(doc);
	if (rc || !v)
		return rc;
	ss_buf_addf(&why, "%llu violation%s:", (unsigned long long)v, v == 1 ? "" : "s");
	for (int k = 0; k < SS_CK_COUNT; k++)
		if (r->by_kind[k])
			ss_buf_addf(&why, " %s %llu", ss_collision_kind_name(k),
				    (unsigned long long)r->by_kind[k]);
	rc = ss_err_set(err, SS_REFUSED, "%s", ss_buf_str(&why));
	ss_buf_free(&why);
	return rc;
}

static void print_stats(const ss_collision_tracker *t, double seconds)
{
	ss_collision_stats s;
	uint64_t records = ss_collision_tracker_records(t), b;

	ss_collision_tracker_stats(t, &s);
	b = s.distinct[SS_CF_BINDING];
	fprintf(stderr,
		"%s: stats: %llu records in %.3f s (%.0f/s); %llu bindings, %.1f bytes of state "
		"each; %llu bytes of state in all (%.1f per record)\n",
		ss_prog, (unsigned long long)records, seconds,
		seconds > 0 ? (double)records / seconds : 0.0, (unsigned long long)b,
		b ? (double)s.binding_bytes / (double)b : 0.0, (unsigned long long)s.total_bytes,
		records ? (double)s.total_bytes / (double)records : 0.0);
}

/* FILE operands: "-" (or none) is standard input; each name once, since
 * the report tells inputs apart by name. */
static int check_operands(char **names, int n, ss_err *err)
{
	for (int i = 0; i < n; i++) {
		if (!ss_collision_name_ok(names[i]))
			return ss_err_set(err, SS_EUSAGE, "'%.200s' cannot be named in a report "
					  "(empty or not UTF-8)", names[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return ss_err_set(err, SS_EUSAGE, "'%.200s' given twice", names[i]);
	}
	return SS_OK;
}

static int open_input(const char *name, int *fd, ss_err *err)
{
	if (strcmp(name, "-") == 0) {
		*fd = 0;
		return SS_OK;
	}
	*fd = open(name, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return ss_err_errno(err, SS_EIO, "open '%s'", name);
	return SS_OK;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_check(void *args, ss_err *err)
{
	static char *stdin_only[] = { (char *)"-" };
	const struct args *a = args;
	char **names = a->operands;
	int n = a->noperands, jobs = a->jobs ? a->jobs : ss_batch_default_jobs();
	ss_collision_tracker *t;
	ss_collision_report r;
	ss_progress prog;
	double t0 = now();
	int rc;

	if (n == 0) {
		names = stdin_only;
		n = 1;
	}
	if ((rc = check_operands(names, n, err)))
		return rc;
	t = ss_collision_tracker_new(a->part_index, a->part_count, a->max_examples);
	ss_progress_start(&prog, "records");
	for (int i = 0; i < n && !rc; i++) {
		ss_buf shown = SS_BUF_INIT;
		int fd;
		ss_collision_tracker_input(t, names[i]);
		if ((rc = open_input(names[i], &fd, err)))
			break;
		if (fd == 0)
			ss_buf_adds(&shown, "standard input");
		else
			ss_buf_addf(&shown, "'%s'", names[i]);
		/* A read error names the input itself ("read 'F': ..."). */
		if ((rc = ss_collision_run_fd(t, fd, ss_buf_str(&shown), jobs, &prog, err)) &&
		    rc != SS_EIO)
			ss_err_prefix(err, "%s", ss_buf_str(&shown));
		ss_buf_free(&shown);
		if (fd != 0)
			close(fd);
	}
	ss_progress_end(&prog);
	if (!rc) {
		if (a->stats)
			print_stats(t, now() - t0);
		ss_collision_tracker_report(t, &r);
		rc = print_report(&r, err);
		ss_collision_report_free(&r);
	}
	ss_collision_tracker_free(t);
	return rc;
}

static int run_stress(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_collision_tracker *t;
	ss_collision_report r;
	ss_collision_stress st;
	ss_progress prog;
	uint64_t seed = a->seed;
	int rc;

	if (a->tenants * a->executions > SS_STRESS_MAX_TOTAL)
		return ss_err_set(err, SS_EUSAGE,
				  "stress: --tenants x --executions is more than %llu",
				  (unsigned long long)SS_STRESS_MAX_TOTAL);
	if (!a->has_seed && (rc = ss_random(&seed, sizeof seed, err)))
		return rc;
	t = ss_collision_tracker_new(0, 0, a->max_examples);
	ss_progress_start(&prog, "executions");
	rc = ss_collision_stress_run(t, a->tenants, a->executions, seed,
				     a->jobs ? a->jobs : ss_batch_default_jobs(), &prog, &st, err);
	ss_progress_end(&prog);
	if (!rc) {
		if (a->stats)
			print_stats(t, (double)st.milliseconds / 1000);
		ss_collision_tracker_report(t, &r);
		r.has_stress = true;
		r.stress = st;
		rc = print_report(&r, err);
		ss_collision_report_free(&r);
	}
	ss_collision_tracker_free(t);
	return rc;
}

/* Partial reports, one per line, from each file (or standard input). */
static int read_reports(char **names, int n, ss_collision_report **parts, size_t *nparts,
			ss_err *err)
{
	static char *stdin_only[] = { (char *)"-" };
	int rc = SS_OK;

	if (n == 0) {
		names = stdin_only;
		n = 1;
	}
	for (int i = 0; i < n && !rc; i++) {
		ss_lines in;
		const char *line;
		size_t len;
		int fd;
		bool is_stdin = strcmp(names[i], "-") == 0;

		if ((rc = open_input(names[i], &fd, err)))
			break;
		ss_lines_init(&in, fd, is_stdin ? "standard input" : names[i], SS_JSON_MAX_SIZE);
		while (!(rc = ss_lines_next(&in, &line, &len, err)) && line) {
			cJSON *doc = NULL;
			*parts = ss_xrealloc(*parts, (*nparts + 1) * sizeof **parts);
			if (!(rc = ss_json_parse(line, len, &doc, err)) &&
			    !(rc = ss_collision_report_parse(doc, &(*parts)[*nparts], err)))
				(*nparts)++;
			else
				ss_err_prefix(err, "line %zu", in.lineno);
			cJSON_Delete(doc);
			if (rc)
				break;
		}
		if (rc && rc != SS_EIO) {
			if (is_stdin)
				ss_err_prefix(err, "standard input");
			else
				ss_err_prefix(err, "'%s'", names[i]);
		}
		ss_lines_free(&in);
		if (!is_stdin)
			close(fd);
	}
	return rc;
}

static int run_merge(void *args, ss_err *err)
{
	const struct args *a = args;
	char **names = a->operands;
	int n = a->noperands;
	ss_collision_report *parts = NULL, whole;
	size_t nparts = 0;
	int rc;

	if (!(rc = read_reports(names, n, &parts, &nparts, err)) &&
	    !(rc = ss_collision_merge(parts, nparts, &whole, err))) {
		rc = print_report(&whole, err);
		ss_collision_report_free(&whole);
	}
	if (rc >= SS_EUSAGE)
		ss_err_prefix(err, "merge");
	for (size_t i = 0; i < nparts; i++)
		ss_collision_report_free(&parts[i]);
	free(parts);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { .max_examples = SS_COLLISION_DEFAULT_EXAMPLES };
	const ss_cmd *cmd = NULL;
	ss_err err = { 0 };
	int rc;

	ss_prog_init(argv[0]);
	ss_crypto_init();
	/* Operands are never more than the words on the command line. */
	a.operands = ss_xcalloc((size_t)argc + 1, sizeof *a.operands);
	rc = ss_opt_parse(&tool, argc, argv, &a, &cmd, &err);
	if (rc == SS_OK && cmd)
		rc = cmd->run(&a, &err);
	free(a.operands);
	return ss_exit(rc, &err);
}
