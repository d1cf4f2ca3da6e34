/* Command-line handling from one table per tool: the same table drives
 * getopt_long, --help and the checks that man pages and completions list
 * every option.  Numbers are parsed with range checks, never atoi. */
#ifndef SS_OPT_H
#define SS_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ss/err.h"

#define SS_ALL_CMDS 0xffffffffu
/* In ss_opt.cmds: allowed in the form without a command, for a tool whose
 * command is optional (ss_tool.cmd_optional).  At most 31 commands. */
#define SS_NO_CMD (1u << 31)

typedef struct ss_cmd {
	const char *name;
	const char *synopsis; /* options and operands, e.g. "--runner-id ID [--force]" */
	const char *help;     /* one line */
} ss_cmd;

typedef struct ss_opt {
	const char *name; /* long name without dashes */
	int key;          /* short option letter, or a value >= 256 */
	const char *arg;  /* placeholder ("FILE"), NULL for a flag */
	unsigned cmds;    /* bit i: allowed with cmds[i]; SS_NO_CMD; SS_ALL_CMDS: always */
	bool repeat;      /* may be given more than once */
	const char *help;
} ss_opt;

typedef struct ss_tool {
	const char *name;
	const char *summary;
	const char *synopsis; /* for tools without commands */
	const ss_cmd *cmds;   /* {NULL}-terminated; NULL for a tool without commands */
	const ss_opt *opts;   /* {NULL}-terminated; --help/--version are added */
	/* With cmds: the tool also runs without a command (synopsis is that
	 * form).  A first argument that is not an option must then be a
	 * command; anything starting with '-' begins the command-less form. */
	bool cmd_optional;
	/* With cmd_optional: the command-less form takes operands (files), so
	 * a first argument that is no command's name begins it too. */
	bool operands;
} ss_tool;

/* Called once per option given, in order. */
typedef int (*ss_opt_fn)(void *ctx, int key, const char *arg, ss_err *err);

/* Parse argv against the table.  Sets *cmd (index into cmds, -1 without
 * a command) and *argi (first operand).  --help and --version print to
 * stdout and set *done.  Usage errors are SS_EUSAGE. */
int ss_opt_parse(const ss_tool *tool, int argc, char **argv, int *cmd, int *argi, bool *done,
		 ss_opt_fn fn, void *ctx, ss_err *err);
void ss_opt_help(const ss_tool *tool, FILE *f);

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

#endif
