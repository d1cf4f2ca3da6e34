#include "ss/opt.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ss/enc.h"
#include "ss/json.h"
#include "ss/num.h"

enum { KEY_HELP = 'h', KEY_VERSION = 'V' };

static size_t count_opts(const ss_opt *o)
{
	size_t n = 0;

	while (o[n].name)
		n++;
	return n;
}

static int find_cmd(const ss_tool *t, const char *name)
{
	for (int i = 0; t->cmds[i].name; i++)
		if (strcmp(t->cmds[i].name, name) == 0)
			return i;
	return -1;
}

int ss_opt_parse(const ss_tool *tool, int argc, char **argv, int *cmd, int *argi, bool *done,
		 ss_opt_fn fn, void *ctx, ss_err *err)
{
	size_t n = count_opts(tool->opts);
	struct option *lo = ss_xcalloc(n + 3, sizeof *lo);
	unsigned *seen = ss_xcalloc(n + 1, sizeof *seen);
	char shorts[128] = ":";
	size_t sl = 1;
	int first = 1, rc = SS_OK;

	*done = false;
	*cmd = -1;
	for (size_t i = 0; i < n; i++) {
		const ss_opt *o = &tool->opts[i];
		lo[i] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
					 o->key };
		if (o->key < 128 && sl + 3 < sizeof shorts) {
			shorts[sl++] = (char)o->key;
			if (o->arg)
				shorts[sl++] = ':';
		}
	}
	lo[n] = (struct option){ "help", no_argument, NULL, KEY_HELP };
	lo[n + 1] = (struct option){ "version", no_argument, NULL, KEY_VERSION };
	strcat(shorts, "hV");

	if (tool->cmds && tool->cmd_optional &&
	    (argc < 2 || argv[1][0] == '-' || (tool->operands && find_cmd(tool, argv[1]) < 0))) {
		/* The command-less form: --help and --version are ordinary
		 * options of it. */
	} else if (tool->cmds) {
		if (argc < 2) {
			rc = ss_err_set(err, SS_EUSAGE, "missing command (try '%s --help')",
					tool->name);
			goto out;
		}
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			ss_opt_help(tool, stdout);
			*done = true;
			goto out;
		}
		if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
			printf("%s %s\n", tool->name, SS_VERSION);
			*done = true;
			goto out;
		}
		*cmd = find_cmd(tool, argv[1]);
		if (*cmd < 0) {
			rc = ss_err_set(err, SS_EUSAGE, "unknown command '%s' (try '%s --help')",
					argv[1], tool->name);
			goto out;
		}
		first = 2;
	}

	optind = first;
	opterr = 0;
	for (;;) {
		int li = -1, key = getopt_long(argc, argv, shorts, lo, &li);
		const char *given = argv[optind - 1];
		size_t i;

		if (key == -1)
			break;
		if (key == '?') {
			if (optopt)
				rc = ss_err_set(err, SS_EUSAGE, "unknown option '-%c'", optopt);
			else
				rc = ss_err_set(err, SS_EUSAGE, "unknown option '%s'", given);
			goto out;
		}
		if (key == ':') {
			rc = ss_err_set(err, SS_EUSAGE, "option '%s' needs an argument", given);
			goto out;
		}
		if (key == KEY_HELP) {
			ss_opt_help(tool, stdout);
			*done = true;
			goto out;
		}
		if (key == KEY_VERSION) {
			printf("%s %s\n", tool->name, SS_VERSION);
			*done = true;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (tool->opts[i].key == key)
				break;
		if (i == n) {
			rc = ss_err_set(err, SS_EUSAGE, "unknown option '%s'", given);
			goto out;
		}
		if (*cmd >= 0 && !(tool->opts[i].cmds & (1u << *cmd))) {
			rc = ss_err_set(err, SS_EUSAGE, "option '--%s' does not apply to '%s'",
					tool->opts[i].name, tool->cmds[*cmd].name);
			goto out;
		}
		if (*cmd < 0 && tool->cmds && !(tool->opts[i].cmds & SS_NO_CMD)) {
			rc = ss_err_set(err, SS_EUSAGE, "option '--%s' does not apply without a command",
					tool->opts[i].name);
			goto out;
		}
		if (seen[i]++ && !tool->opts[i].repeat) {
			rc = ss_err_set(err, SS_EUSAGE, "option '--%s' given more than once",
					tool->opts[i].name);
			goto out;
		}
		if ((rc = fn(ctx, key, optarg, err)))
			goto out;
	}
	*argi = optind;
out:
	free(lo);
	free(seen);
	return rc;
}

static void print_opt(const ss_opt *o, FILE *f)
{
	char left[64];

	if (o->key < 128)
		snprintf(left, sizeof left, "-%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	else
		snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	fprintf(f, "  %-30s %s\n", left, o->help);
}

void ss_opt_help(const ss_tool *t, FILE *f)
{
	if (t->cmds) {
		if (t->cmd_optional)
			fprintf(f, "usage: %s %s\n       ", t->name, t->synopsis);
		else
			fprintf(f, "usage: ");
		fprintf(f, "%s COMMAND [OPTIONS]\n\n%s\n\nCommands:\n", t->name, t->summary);
		for (int i = 0; t->cmds[i].name; i++)
			fprintf(f, "  %s %s\n      %s\n", t->cmds[i].name, t->cmds[i].synopsis,
				t->cmds[i].help);
	} else
		fprintf(f, "usage: %s %s\n\n%s\n", t->name, t->synopsis, t->summary);
	fprintf(f, "\nOptions:\n");
	for (const ss_opt *o = t->opts; o->name; o++)
		print_opt(o, f);
	fprintf(f, "  %-30s %s\n", "-h, --help", "show this help and exit");
	fprintf(f, "  %-30s %s\n", "-V, --version", "show the version and exit");
	fprintf(f, "\nExit status: 0 ok, 1 refused by a check, 2 usage, 3 invalid input,\n"
		   "4 TPM error, 5 crypto error, 6 I/O or OS error, 7 VMM error.\n"
		   "See %s(1) and ss(7).\n", t->name);
}

int ss_opt_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
	       ss_err *err)
{
	if (!ss_parse_u64(s, min, max, out))
		return ss_err_set(err, SS_EUSAGE, "%s: '%s' is not a number in %llu..%llu", opt, s,
				  (unsigned long long)min, (unsigned long long)max);
	return SS_OK;
}

int ss_opt_handle(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out,
		  ss_err *err)
{
	uint64_t v;

	if (!ss_parse_u64(s, lo, hi, &v))
		return ss_err_set(err, SS_EUSAGE, "%s: '%s' is not a handle in 0x%08x..0x%08x",
				  opt, s, lo, hi);
	*out = (uint32_t)v;
	return SS_OK;
}

int ss_opt_id(const char *opt, const char *s, ss_err *err)
{
	if (!ss_valid_id(s))
		return ss_err_set(err, SS_EUSAGE,
				  "%s: '%.140s' is not an identifier ([A-Za-z0-9._:-]{1,128})",
				  opt, s);
	return SS_OK;
}

int ss_opt_hex(const char *opt, const char *s, unsigned char *out, size_t max, size_t *outlen,
	       ss_err *err)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (!n || !ss_hex_decode_any_case(s, n, out, max, outlen))
		return ss_err_set(err, SS_EUSAGE, "%s: not hex of 1 to %zu bytes", opt, max);
	return SS_OK;
}

int ss_opt_fd(const char *opt, const char *s, int *fd, ss_err *err)
{
	uint64_t v;

	if (!ss_parse_u64(s, 0, 1023, &v))
		return ss_err_set(err, SS_EUSAGE, "%s: '%s' is not a file descriptor number", opt,
				  s);
	if (v <= 2)
		return ss_err_set(err, SS_EUSAGE, "%s: descriptor %s is standard input/output",
				  opt, s);
	if (fcntl((int)v, F_GETFD) < 0)
		return ss_err_set(err, SS_EUSAGE, "%s: descriptor %s is not open", opt, s);
	*fd = (int)v;
	return SS_OK;
}
