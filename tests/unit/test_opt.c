/* ss_opt_parse: a tool whose command is optional (ss-derive-key and its
 * init-tpm-root) and one whose command is required; the usage errors the
 * parser words from the tables (needs, operands), global options before the
 * command, and a command's own --help. */
#include <stdlib.h>
#include <string.h>

#include "ss/opt.h"
#include "unit.h"

enum { OPT_KIND = SS_OPT_FIRST, OPT_HANDLE, OPT_STATE, OPT_AUTH_FILE, OPT_AUTH_FD, OPT_ALL,
       OPT_VERBOSE = 'v' };

struct seen {
	int kind, handle, verbose, all, runs;
	const char *state, *operand;
	ss_secret_src auth;
};

static int record(void *args, int key, const char *arg, ss_err *err)
{
	struct seen *s = args;

	switch (key) {
	case OPT_KIND: s->kind++; break;
	case OPT_HANDLE: s->handle++; break;
	case OPT_VERBOSE: s->verbose++; break;
	case OPT_ALL: s->all++; break;
	case OPT_STATE: s->state = arg; break;
	case OPT_AUTH_FILE:
		return ss_opt_secret_src(&s->auth, "--auth-file", "--auth-fd", false, arg, err);
	case OPT_AUTH_FD:
		return ss_opt_secret_src(&s->auth, "--auth-fd", "--auth-file", true, arg, err);
	case SS_OPERAND: s->operand = arg; break;
	}
	return SS_OK;
}

static int run(void *args, ss_err *err)
{
	(void)err;
	((struct seen *)args)->runs++;
	return SS_OK;
}

static const ss_opt opts[] = {
	{ "kind", OPT_KIND, "KIND", "the kind", 0, { OPT_AUTH_FILE } },
	{ "handle", OPT_HANDLE, "H", "the handle" },
	{ "state", OPT_STATE, "DIR", "state directory", SS_OPT_GLOBAL },
	{ "auth-file", OPT_AUTH_FILE, "FILE", "auth from a file" },
	{ "auth-fd", OPT_AUTH_FD, "N", "auth from a descriptor" },
	{ "all", OPT_ALL, NULL, "every one" },
	{ "verbose", OPT_VERBOSE, NULL, "say more", SS_OPT_GLOBAL },
	{ NULL },
};

static const ss_cmd cmds[] = {
	{ .name = "init", .run = run, .synopsis = "--handle H", .help = "make the thing",
	  .example = "t init --handle 1", .opts = { OPT_HANDLE, OPT_STATE, OPT_VERBOSE },
	  .needs = { OPT_HANDLE } },
	{ .name = "drop", .run = run, .synopsis = "NAME [--all]", .help = "drop one",
	  .operands = "NAME", .opts = { OPT_ALL, OPT_HANDLE, OPT_VERBOSE },
	  .needs = { OPT_HANDLE }, .unless = OPT_ALL },
	{ NULL },
};

static const ss_cmd bare = {
	.run = run, .synopsis = "[--kind KIND]", .example = "t --kind raw",
	.opts = { OPT_KIND, OPT_AUTH_FILE, OPT_AUTH_FD, OPT_VERBOSE },
};

static const ss_tool optional_tool = { "t", "a test tool", opts, cmds, &bare, record };

/* A bare form that takes files (ss-collision-check FILE ...). */
static const ss_cmd bare_files = {
	.run = run, .synopsis = "[--kind KIND] [FILE ...]", .example = "t a.jsonl",
	.opts = { OPT_KIND, OPT_VERBOSE }, .more_operands = true,
};
static const ss_tool operand_tool = { "t", "a test tool", opts, cmds, &bare_files, record };
static const ss_tool required_tool = { "t", "a test tool", opts, cmds, NULL, record };

static int parse(const ss_tool *t, int argc, char **argv, const ss_cmd **cmd, struct seen *s,
		 ss_err *err)
{
	memset(s, 0, sizeof *s);
	s->auth = (ss_secret_src)SS_SECRET_SRC_INIT;
	*cmd = &cmds[1]; /* must be overwritten */
	return ss_opt_parse(t, argc, argv, s, cmd, err);
}

TEST(optional_command_form_without_command)
{
	char *argv[] = { "t", "--kind", "raw", "--auth-file", "f", "-v", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 6, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &bare);
	CHECK(s.kind == 1 && s.verbose == 1 && s.handle == 0);
}

TEST(optional_command_no_arguments_at_all)
{
	char *argv[] = { "t", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 1, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &bare);
}

TEST(optional_command_form_with_command)
{
	char *argv[] = { "t", "init", "--handle", "1", "-v", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 5, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &cmds[0]);
	CHECK(s.handle == 1 && s.verbose == 1);
}

TEST(optional_command_refuses_command_options_without_it)
{
	char *argv[] = { "t", "--handle", "1", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 3, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "option '--handle' does not apply without a command");
	CHECK(cmd == NULL);
}

TEST(optional_command_refuses_form_options_with_it)
{
	char *argv[] = { "t", "init", "--kind", "raw", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 4, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "option '--kind' does not apply to 'init'");
}

TEST(optional_command_unknown_word_is_an_unknown_command)
{
	char *argv[] = { "t", "nope", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 2, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "unknown command 'nope' (try 't --help')");
}

TEST(required_command_still_required)
{
	char *argv[] = { "t", "--kind", "raw", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&required_tool, 3, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "unknown command '--kind' (try 't --help')");
	CHECK(parse(&required_tool, 1, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "missing command (try 't --help')");
}

TEST(a_missing_option_is_worded_from_the_table)
{
	char *argv[] = { "t", "init", "-v", NULL };
	char *opt_argv[] = { "t", "--kind", "raw", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&required_tool, 3, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "init: needs --handle");
	CHECK(cmd == NULL);
	/* An option that needs another one. */
	CHECK(parse(&optional_tool, 3, opt_argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "--kind: needs --auth-file");
}

TEST(an_option_needs_another_only_where_that_one_applies)
{
	/* --kind needs --auth-file, which the form with files does not take. */
	char *argv[] = { "t", "--kind", "raw", "a.jsonl", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&operand_tool, 4, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &bare_files && s.kind == 1);
}

TEST(operands_are_counted_and_named)
{
	char *none[] = { "t", "drop", "--handle", "1", NULL };
	char *two[] = { "t", "drop", "a", "--handle", "1", "b", NULL };
	char *one[] = { "t", "drop", "--handle", "1", "--", "-a", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&required_tool, 4, none, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "drop: needs NAME");
	CHECK(parse(&required_tool, 6, two, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "unexpected argument 'b'");
	CHECK(parse(&required_tool, 6, one, &cmd, &s, &err) == SS_OK);
	CHECK_STR(s.operand, "-a");
}

TEST(an_unless_option_lifts_the_needs)
{
	char *argv[] = { "t", "drop", "x", "--all", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&required_tool, 4, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &cmds[1] && s.all == 1);
	CHECK_STR(s.operand, "x");
}

TEST(global_options_before_or_after_the_command)
{
	char *before[] = { "t", "--state", "d1", "-v", "init", "--handle", "1", NULL };
	char *inline_arg[] = { "t", "--state=d2", "init", "--handle", "1", NULL };
	char *prefix[] = { "t", "--sta", "d3", "init", "--handle", "1", NULL };
	char *after[] = { "t", "init", "--handle", "1", "--state", "d4", NULL };
	char *not_global[] = { "t", "--handle", "1", "init", NULL };
	char *not_for_it[] = { "t", "--state", "d", "drop", "x", "--all", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&required_tool, 7, before, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &cmds[0] && s.verbose == 1 && s.handle == 1);
	CHECK_STR(s.state, "d1");
	CHECK(parse(&required_tool, 5, inline_arg, &cmd, &s, &err) == SS_OK);
	CHECK_STR(s.state, "d2");
	CHECK(parse(&required_tool, 6, prefix, &cmd, &s, &err) == SS_OK);
	CHECK_STR(s.state, "d3");
	CHECK(parse(&required_tool, 6, after, &cmd, &s, &err) == SS_OK);
	CHECK_STR(s.state, "d4");
	CHECK(parse(&required_tool, 4, not_global, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "unknown command '--handle' (try 't --help')");
	/* Before the command or after it, an option must be one it takes. */
	CHECK(parse(&required_tool, 6, not_for_it, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "option '--state' does not apply to 'drop'");
}

TEST(global_options_before_the_optional_command)
{
	char *cmd_form[] = { "t", "-v", "init", "--handle", "1", NULL };
	char *bare_form[] = { "t", "-v", "--kind", "k", "--auth-file", "f", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 5, cmd_form, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &cmds[0] && s.verbose == 1);
	CHECK(parse(&optional_tool, 6, bare_form, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &bare && s.verbose == 1 && s.kind == 1);
}

TEST(one_secret_from_a_file_or_a_descriptor)
{
	char *argv[] = { "t", "--kind", "k", "--auth-file", "f", "--auth-fd", "0", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&optional_tool, 7, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "--auth-file and --auth-fd exclude each other");
}

TEST(a_command_help_is_its_synopsis_options_and_example)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ss_opt_cmd_help(&required_tool, &cmds[0], f);
	fclose(f);
	CHECK_STR(buf, "usage: t init --handle H\n"
		       "\n"
		       "make the thing\n"
		       "\n"
		       "Options:\n"
		       "      --handle H                 the handle\n"
		       "      --state DIR                state directory\n"
		       "  -v, --verbose                  say more\n"
		       "  -h, --help                     show this help and exit\n"
		       "\n"
		       "Example:\n"
		       "  t init --handle 1\n"
		       "\n"
		       "Exit status: 0 ok, 1 refused by a check, 2 usage, 3 invalid input,\n"
		       "4 TPM error, 5 crypto error, 6 I/O or OS error, 7 VMM error.\n"
		       "See t(1) and ss-toolkit(7).\n");
	free(buf);
}

struct operand_list {
	struct seen s;
	const char *ops[4];
	int nops;
};

static int record_operands(void *args, int key, const char *arg, ss_err *err)
{
	struct operand_list *l = args;

	if (key == SS_OPERAND && l->nops < 4)
		l->ops[l->nops++] = arg;
	return record(&l->s, key, arg, err);
}

TEST(operands_first_begin_the_form_without_command)
{
	static const ss_tool t = { "t", "a test tool", opts, cmds, &bare_files, record_operands };
	char *argv[] = { "t", "a.jsonl", "-v", "b.jsonl", NULL };
	struct operand_list l;
	const ss_cmd *cmd = NULL;
	ss_err err = { 0 };

	memset(&l, 0, sizeof l);
	CHECK(ss_opt_parse(&t, 4, argv, &l, &cmd, &err) == SS_OK);
	CHECK(cmd == &bare_files);
	CHECK(l.s.verbose == 1);
	CHECK(l.nops == 2);
	CHECK_STR(l.ops[0], "a.jsonl");
	CHECK_STR(l.ops[1], "b.jsonl");
}

TEST(operands_tool_still_knows_its_commands)
{
	char *argv[] = { "t", "init", "--handle", "1", NULL };
	const ss_cmd *cmd;
	struct seen s;
	ss_err err = { 0 };

	CHECK(parse(&operand_tool, 4, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == &cmds[0]);
	CHECK(s.handle == 1);
}

int main(void)
{
	RUN(optional_command_form_without_command);
	RUN(optional_command_no_arguments_at_all);
	RUN(optional_command_form_with_command);
	RUN(optional_command_refuses_command_options_without_it);
	RUN(optional_command_refuses_form_options_with_it);
	RUN(optional_command_unknown_word_is_an_unknown_command);
	RUN(required_command_still_required);
	RUN(a_missing_option_is_worded_from_the_table);
	RUN(operands_are_counted_and_named);
	RUN(an_unless_option_lifts_the_needs);
	RUN(an_option_needs_another_only_where_that_one_applies);
	RUN(global_options_before_or_after_the_command);
	RUN(global_options_before_the_optional_command);
	RUN(one_secret_from_a_file_or_a_descriptor);
	RUN(a_command_help_is_its_synopsis_options_and_example);
	RUN(operands_first_begin_the_form_without_command);
	RUN(operands_tool_still_knows_its_commands);
	return unit_done();
}
