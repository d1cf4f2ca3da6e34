/* Command lines from one table per tool.  The table drives getopt_long,
 * --help (the tool's overview and each command's own), the usage errors
 * (worded the same in every tool) and, through --help, the checks that man
 * pages and completions list every option (tests/docs.bats).  Numbers are
 * parsed with range checks, never atoi.
 *
 * Every tool's main has the same shape:
 *
 *	ss_prog_init(argv[0]);
 *	ss_crypto_init();
 *	rc = ss_opt_parse(&tool, argc, argv, &args, &cmd, &err);
 *	if (rc == SS_OK && cmd)
 *		rc = cmd->run(&args, &err);
 *	return ss_exit(rc, &err);
 *
 * The command line is TOOL [GLOBAL OPTIONS] COMMAND [OPTIONS] [OPERANDS]:
 * options marked SS_OPT_GLOBAL (--state, --tcti, -v) may come before the
 * command name as well as after it, spelled out (no clusters).  A tool
 * with a form without a command (ss-derive-key) takes that form when the
 * first argument after the global options starts with '-' (or, when that
 * form takes operands, is not a command: ss-collision-check FILE). */
#ifndef SS_OPT_H
#define SS_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ss/err.h"
#include "ss/secret.h"

/* Option keys: a short option letter ('v'), or a value from SS_OPT_FIRST
 * on (each tool: enum { OPT_KEY = SS_OPT_FIRST, ..., OPT_VERBOSE = 'v' }). */
#define SS_OPT_FIRST 256
/* The key a tool's setter is called with for each operand. */
#define SS_OPERAND 1

#define SS_CMD_OPTS 24 /* options one command takes, at most */
#define SS_OPT_NEEDS 4

/* ss_opt.flags */
#define SS_OPT_REPEAT 1u /* may be given more than once */
#define SS_OPT_GLOBAL 2u /* may also come before the command name */

typedef struct ss_opt {
	const char *name;  /* long name without dashes */
	int key;
	const char *arg;   /* placeholder ("FILE"), NULL for a flag */
	const char *help;  /* one line */
	unsigned flags;
	/* Options it cannot do without when given, checked in this order:
	 * "prog: --session: needs --cp-pub"; only in the commands that take
	 * them. */
	int needs[SS_OPT_NEEDS];
} ss_opt;

/* A command's handler.  args: the tool's own struct, filled by its setter. */
typedef int ss_cmd_fn(void *args, ss_err *err);

typedef struct ss_cmd {
	const char *name;      /* NULL: the tool's form without a command */
	ss_cmd_fn *run;
	const char *synopsis;  /* options and operands: "--runner-id ID [--force]" */
	const char *help;      /* one line */
	const char *example;   /* one whole command line */
	const char *operands;  /* names of the operands it needs ("AK_NAME"); NULL: none */
	/* Any number of operands after those (ss-collision-check FILE ...).
	 * A bare form that takes them is also chosen when the first word after
	 * the global options is not one of the tool's commands. */
	bool more_operands;
	int opts[SS_CMD_OPTS]; /* keys of the options it takes, in its --help order */
	/* Keys of those it needs, checked in this order after the command
	 * line is read: "prog: challenge: needs --key". */
	int needs[SS_CMD_OPTS];
	int unless;            /* an option that lifts needs (verify-quote --batch); 0: none */
	/* The key the setter gets for each operand, so that commands whose
	 * operands differ can check them apart (0: SS_OPERAND). */
	int operand_key;
} ss_cmd;

/* Called once per option given, in order, then once per operand (key
 * SS_OPERAND, or the command's operand_key), before the options a command
 * needs are checked.  Checks a value and keeps it in args. */
typedef int ss_opt_set_fn(void *args, int key, const char *arg, ss_err *err);

typedef struct ss_tool {
	const char *name;
	const char *summary;  /* what it does, for --help */
	const ss_opt *opts;   /* {NULL}-terminated; --help and --version are added */
	const ss_cmd *cmds;   /* {NULL}-terminated; NULL: the tool has only its bare form */
	const ss_cmd *bare;   /* the form without a command; NULL: a command is required */
	ss_opt_set_fn *set;
} ss_tool;

/* Parse argv against the tool's tables, calling tool->set with args for
 * each option and operand, and check the command's needs.  *cmd: the
 * command (or bare form) to run; NULL when --help or --version printed
 * their text to stdout (SS_OK).  Usage errors are SS_EUSAGE. */
int ss_opt_parse(const ss_tool *tool, int argc, char **argv, void *args, const ss_cmd **cmd,
		 ss_err *err);
/* TOOL --help: the commands, every option, the exit status. */
void ss_opt_help(const ss_tool *tool, FILE *f);
/* TOOL COMMAND --help: its synopsis, its options and an example. */
void ss_opt_cmd_help(const ss_tool *tool, const ss_cmd *cmd, FILE *f);

/* ss_parse_u64 (ss/num.h) with a usage error naming the option. */
int ss_opt_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       ss_err *err);
/* A TPM handle in [lo, hi]. */
int ss_opt_handle(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out,
		  ss_err *err);
/* An identifier ([A-Za-z0-9._:-]{1,128}). */
int ss_opt_id(const char *opt, const char *s, ss_err *err);
/* Hex (either case) of 1..max bytes. */
int ss_opt_hex(const char *opt, const char *s, unsigned char *out, size_t max, size_t *outlen,
	       ss_err *err);

/* A descriptor number above 2 that is open. */
int ss_opt_fd(const char *opt, const char *s, int *fd, ss_err *err);

/* One secret named by a pair of options, --X-file FILE or --X-fd N (auth
 * values; never the secret itself on the command line).  opt is the one
 * given, other its pair: giving both is a usage error. */
int ss_opt_secret_src(ss_secret_src *src, const char *opt, const char *other, bool is_fd,
		      const char *arg, ss_err *err);

#endif
