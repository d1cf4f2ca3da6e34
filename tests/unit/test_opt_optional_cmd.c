/* ss_opt_parse for a tool whose command is optional (ss-derive-key and
 * its init-tpm-root), and that tools with a required command keep their
 * behaviour. */
#include <string.h>

#include "ss/opt.h"
#include "unit.h"

enum { OPT_KIND = 256, OPT_HANDLE };

static const ss_cmd cmds[] = {
	{ "init", "--handle H", "make the thing" },
	{ NULL, NULL, NULL },
};

static const ss_opt opts[] = {
	{ "kind", OPT_KIND, "KIND", SS_NO_CMD, false, "the kind" },
	{ "handle", OPT_HANDLE, "H", 1u << 0, false, "the handle" },
	{ "verbose", 'v', NULL, SS_ALL_CMDS, false, "say more" },
	{ NULL, 0, NULL, 0, false, NULL },
};

static const ss_tool optional_tool = { "t", "a test tool", "[--kind KIND]", cmds, opts, true };
static const ss_tool required_tool = { "t", "a test tool", NULL, cmds, opts, false };
static const ss_tool operand_tool = { "t", "a test tool", "[--kind KIND] [FILE ...]", cmds, opts,
				      true, true };

struct seen {
	int kind, handle, verbose;
};

static int record(void *ctx, int key, const char *arg, ss_err *err)
{
	struct seen *s = ctx;

	(void)arg;
	(void)err;
	if (key == OPT_KIND)
		s->kind++;
	else if (key == OPT_HANDLE)
		s->handle++;
	else if (key == 'v')
		s->verbose++;
	return SS_OK;
}

static int parse(const ss_tool *t, int argc, char **argv, int *cmd, struct seen *s, ss_err *err)
{
	int argi = 0;
	bool done = false;

	memset(s, 0, sizeof *s);
	return ss_opt_parse(t, argc, argv, cmd, &argi, &done, record, s, err);
}

TEST(optional_command_form_without_command)
{
	char *argv[] = { "t", "--kind", "raw", "-v", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd = 7;

	CHECK(parse(&optional_tool, 4, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == -1);
	CHECK(s.kind == 1 && s.verbose == 1 && s.handle == 0);
}

TEST(optional_command_no_arguments_at_all)
{
	char *argv[] = { "t", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd = 7;

	CHECK(parse(&optional_tool, 1, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == -1);
}

TEST(optional_command_form_with_command)
{
	char *argv[] = { "t", "init", "--handle", "1", "-v", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd = 7;

	CHECK(parse(&optional_tool, 5, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == 0);
	CHECK(s.handle == 1 && s.verbose == 1);
}

TEST(optional_command_refuses_command_options_without_it)
{
	char *argv[] = { "t", "--handle", "1", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd;

	CHECK(parse(&optional_tool, 3, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "option '--handle' does not apply without a command");
}

TEST(optional_command_refuses_form_options_with_it)
{
	char *argv[] = { "t", "init", "--kind", "raw", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd;

	CHECK(parse(&optional_tool, 4, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "option '--kind' does not apply to 'init'");
}

TEST(optional_command_unknown_word_is_an_unknown_command)
{
	char *argv[] = { "t", "nope", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd;

	CHECK(parse(&optional_tool, 2, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "unknown command 'nope' (try 't --help')");
}

TEST(required_command_still_required)
{
	char *argv[] = { "t", "--kind", "raw", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd;

	CHECK(parse(&required_tool, 3, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "unknown command '--kind' (try 't --help')");
	CHECK(parse(&required_tool, 1, argv, &cmd, &s, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "missing command (try 't --help')");
}

/* ss-collision-check FILE...: a first operand that is not a command. */
TEST(operands_first_begin_the_form_without_command)
{
	char *argv[] = { "t", "a.jsonl", "--kind", "raw", "b.jsonl", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd = 7, argi = 0;
	bool done = false;

	memset(&s, 0, sizeof s);
	CHECK(ss_opt_parse(&operand_tool, 5, argv, &cmd, &argi, &done, record, &s, &err) == SS_OK);
	CHECK(cmd == -1);
	CHECK(s.kind == 1);
	/* getopt_long moves the operands after the options */
	CHECK(argi == 3);
	CHECK_STR(argv[argi], "a.jsonl");
	CHECK_STR(argv[argi + 1], "b.jsonl");
}

TEST(operands_tool_still_knows_its_commands)
{
	char *argv[] = { "t", "init", "--handle", "1", NULL };
	struct seen s;
	ss_err err = { 0 };
	int cmd = 7;

	CHECK(parse(&operand_tool, 4, argv, &cmd, &s, &err) == SS_OK);
	CHECK(cmd == 0);
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
	RUN(operands_first_begin_the_form_without_command);
	RUN(operands_tool_still_knows_its_commands);
	return unit_done();
}
