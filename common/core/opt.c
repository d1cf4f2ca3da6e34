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

static const ss_opt *opt_by_key(const ss_tool *t, int key, size_t *index)
{
	for (size_t i = 0; t->opts[i].name; i++)
		if (t->opts[i].key == key) {
			if (index)
				*index = i;
			return &t->opts[i];
		}
	return NULL;
}

static bool takes(const ss_cmd *c, int key)
{
	for (int i = 0; i < SS_CMD_OPTS && c->opts[i]; i++)
		if (c->opts[i] == key)
			return true;
	return false;
}

/* A table that names an option it does not define is the tool's bug, found
 * by its first run in any test. */
static void check_keys(const ss_tool *t, const ss_cmd *c, const int *keys, int n)
{
	for (int i = 0; i < n && keys[i]; i++)
		if (!opt_by_key(t, keys[i], NULL) || (c && !takes(c, keys[i]))) {
			fprintf(stderr, "%s: option table: '%s' names option key %d it does not take\n",
				t->name, c && c->name ? c->name : t->name, keys[i]);
			abort();
		}
}

static void check_table(const ss_tool *t)
{
	const ss_cmd *c;

	for (const ss_opt *o = t->opts; o->name; o++)
		check_keys(t, NULL, o->needs, SS_OPT_NEEDS);
	for (c = t->cmds; c && c->name; c++) {
		check_keys(t, NULL, c->opts, SS_CMD_OPTS);
		check_keys(t, c, c->needs, SS_CMD_OPTS);
		check_keys(t, c, &c->unless, 1);
	}
	if ((c = t->bare)) {
		check_keys(t, NULL, c->opts, SS_CMD_OPTS);
		check_keys(t, c, c->needs, SS_CMD_OPTS);
		check_keys(t, c, &c->unless, 1);
	}
}

static const ss_cmd *find_cmd(const ss_tool *t, const char *name)
{
	for (const ss_cmd *c = t->cmds; c && c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Which option a word before the command names, as getopt_long would read
 * it: "--name", "--name=VALUE", a unique prefix of a long name, or "-c".
 * key: KEY_HELP / KEY_VERSION or the option's; *inline_arg: "=VALUE" was
 * given.  0: not an option of the tool. */
static int word_key(const ss_tool *t, const char *w, bool *inline_arg, const ss_opt **opt)
{
	static const ss_opt builtin[] = {
		{ "help", KEY_HELP, NULL, NULL, 0, { 0 } },
		{ "version", KEY_VERSION, NULL, NULL, 0, { 0 } },
	};
	const ss_opt *match = NULL;
	size_t len;
	int found = 0;

	*inline_arg = false;
	*opt = NULL;
	if (w[0] != '-' || !w[1])
		return 0;
	if (w[1] != '-') {
		if (w[2])
			return 0;
		if (w[1] == KEY_HELP || w[1] == KEY_VERSION)
			return w[1];
		for (const ss_opt *o = t->opts; o->name; o++)
			if (o->key == w[1]) {
				*opt = o;
				return o->key;
			}
		return 0;
	}
	w += 2;
	len = strcspn(w, "=");
	if (!len)
		return 0;
	for (int pass = 0; pass < 2; pass++)
		for (const ss_opt *o = pass ? builtin : t->opts; pass ? o < builtin + 2 : o->name != NULL;
		     o++) {
			if (strncmp(o->name, w, len) != 0)
				continue;
			if (o->name[len] == '\0') { /* exact: wins over prefixes */
				match = o;
				found = 1;
				goto done;
			}
			match = o;
			found++;
		}
done:
	if (found != 1)
		return 0;
	*inline_arg = w[len] == '=';
	*opt = match->key == KEY_HELP || match->key == KEY_VERSION ? NULL : match;
	return match->key;
}

/* Skip the global options before the command name; *at: the first word
 * after them.  *key: KEY_HELP or KEY_VERSION when one of those came first. */
static void skip_globals(const ss_tool *t, int argc, char **argv, int *at, int *key)
{
	int i = 1;

	*key = 0;
	while (i < argc) {
		const ss_opt *o;
		bool inline_arg;
		int k = word_key(t, argv[i], &inline_arg, &o);

		if (k == KEY_HELP || k == KEY_VERSION) {
			*key = k;
			break;
		}
		if (!k || !o || !(o->flags & SS_OPT_GLOBAL))
			break;
		i += o->arg && !inline_arg ? 2 : 1;
	}
	*at = i < argc ? i : argc;
}

static void print_version(const ss_tool *t)
{
	printf("%s %s\n", t->name, SS_VERSION);
}

/* The subject of a usage error about a command: "challenge: ". */
static const char *subject(const ss_cmd *c, char *buf, size_t len)
{
	if (!c->name)
		return "";
	snprintf(buf, len, "%s: ", c->name);
	return buf;
}

int ss_opt_parse(const ss_tool *tool, int argc, char **argv, void *args, const ss_cmd **cmd,
		 ss_err *err)
{
	size_t n = count_opts(tool->opts);
	struct option *lo;
	unsigned *seen;
	char **av, **operands;
	char shorts[128] = "-:", subj[80];
	size_t sl = 2;
	int ac = 0, nops = 0, at, early, want = 0, rc = SS_OK;
	const ss_cmd *c = NULL;
	bool done = false, lifted = false;

	*cmd = NULL;
	check_table(tool);

	/* Which form: the command after the global options, else the bare one. */
	skip_globals(tool, argc, argv, &at, &early);
	if (early) {
		if (early == KEY_HELP)
			ss_opt_help(tool, stdout);
		else
			print_version(tool);
		return SS_OK;
	}
	if (!tool->cmds || (tool->bare && (at == argc || argv[at][0] == '-'))) {
		c = tool->bare;
		at = 0; /* every word is the bare form's */
	} else if (at == argc) {
		return ss_err_set(err, SS_EUSAGE, "missing command (try '%s --help')", tool->name);
	} else if (!(c = find_cmd(tool, argv[at]))) {
		return ss_err_set(err, SS_EUSAGE, "unknown command '%s' (try '%s --help')", argv[at],
				  tool->name);
	}

	/* The words to read: the program name, then every word but the
	 * command's name. */
	av = ss_xcalloc((size_t)argc + 1, sizeof *av);
	operands = ss_xcalloc((size_t)argc + 1, sizeof *operands);
	for (int i = 0; i < argc; i++)
		if (!at || i != at)
			av[ac++] = argv[i];
	lo = ss_xcalloc(n + 3, sizeof *lo);
	seen = ss_xcalloc(n + 1, sizeof *seen);
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

	/* "-" first: operands come back in order as key 1, whatever
	 * POSIXLY_CORRECT says; optind 0 starts getopt afresh. */
	optind = 0;
	opterr = 0;
	for (;;) {
		int li = -1, key = getopt_long(ac, av, shorts, lo, &li);
		const char *given = av[optind - 1];
		size_t i;

		if (key == -1)
			break;
		if (key == SS_OPERAND) {
			operands[nops++] = optarg;
			continue;
		}
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
			if (c->name)
				ss_opt_cmd_help(tool, c, stdout);
			else
				ss_opt_help(tool, stdout);
			done = true;
			goto out;
		}
		if (key == KEY_VERSION) {
			print_version(tool);
			done = true;
			goto out;
		}
		if (!opt_by_key(tool, key, &i)) {
			rc = ss_err_set(err, SS_EUSAGE, "unknown option '%s'", given);
			goto out;
		}
		if (!takes(c, key)) {
			if (c->name)
				rc = ss_err_set(err, SS_EUSAGE, "option '--%s' does not apply to '%s'",
						tool->opts[i].name, c->name);
			else
				rc = ss_err_set(err, SS_EUSAGE,
						"option '--%s' does not apply without a command",
						tool->opts[i].name);
			goto out;
		}
		if (seen[i]++ && !(tool->opts[i].flags & SS_OPT_REPEAT)) {
			rc = ss_err_set(err, SS_EUSAGE, "option '--%s' given more than once",
					tool->opts[i].name);
			goto out;
		}
		if ((rc = tool->set(args, key, optarg, err)))
			goto out;
	}
	while (optind < ac) /* after "--" */
		operands[nops++] = av[optind++];

	/* What the command line as a whole must hold. */
	for (const char *p = c->operands; p && *p; want++) {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	if (nops > want) {
		rc = ss_err_set(err, SS_EUSAGE, "unexpected argument '%.200s'", operands[want]);
		goto out;
	}
	if (nops < want) {
		const char *p = c->operands;
		for (int k = 0; k < nops; k++) {
			p += strcspn(p, " ");
			p += strspn(p, " ");
		}
		rc = ss_err_set(err, SS_EUSAGE, "%sneeds %s", subject(c, subj, sizeof subj), p);
		goto out;
	}
	for (int k = 0; k < nops; k++)
		if ((rc = tool->set(args, SS_OPERAND, operands[k], err)))
			goto out;
	if (c->unless) {
		size_t u = 0;
		opt_by_key(tool, c->unless, &u);
		lifted = seen[u] != 0;
	}
	for (int k = 0; !lifted && k < SS_CMD_OPTS && c->needs[k]; k++) {
		size_t i = 0;
		const ss_opt *o = opt_by_key(tool, c->needs[k], &i);
		if (!seen[i]) {
			rc = ss_err_set(err, SS_EUSAGE, "%sneeds --%s", subject(c, subj, sizeof subj),
					o->name);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		for (int k = 0; seen[i] && k < SS_OPT_NEEDS && tool->opts[i].needs[k]; k++) {
			size_t j = 0;
			const ss_opt *o = opt_by_key(tool, tool->opts[i].needs[k], &j);
			if (!seen[j]) {
				rc = ss_err_set(err, SS_EUSAGE, "--%s: needs --%s", tool->opts[i].name,
						o->name);
				goto out;
			}
		}
	*cmd = c;
out:
	if (done)
		*cmd = NULL;
	free(lo);
	free(seen);
	free(av);
	free(operands);
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

static void print_see_also(const ss_tool *t, FILE *f)
{
	fprintf(f, "\nExit status: 0 ok, 1 refused by a check, 2 usage, 3 invalid input,\n"
		   "4 TPM error, 5 crypto error, 6 I/O or OS error, 7 VMM error.\n"
		   "See %s(1) and ss(7).\n", t->name);
}

/* "--state, --tcti and --verbose" */
static void print_globals(const ss_tool *t, FILE *f)
{
	size_t total = 0, k = 0;

	for (const ss_opt *o = t->opts; o->name; o++)
		total += (o->flags & SS_OPT_GLOBAL) != 0;
	for (const ss_opt *o = t->opts; o->name; o++) {
		if (!(o->flags & SS_OPT_GLOBAL))
			continue;
		k++;
		fprintf(f, "%s--%s", k == 1 ? "" : k == total ? " and " : ", ", o->name);
	}
}

void ss_opt_help(const ss_tool *t, FILE *f)
{
	bool globals = false;

	for (const ss_opt *o = t->opts; o->name; o++)
		globals |= (o->flags & SS_OPT_GLOBAL) != 0;
	if (t->cmds) {
		if (t->bare)
			fprintf(f, "usage: %s %s\n       ", t->name, t->bare->synopsis);
		else
			fprintf(f, "usage: ");
		fprintf(f, "%s COMMAND [OPTIONS]\n\n%s\n\nCommands:\n", t->name, t->summary);
		for (const ss_cmd *c = t->cmds; c->name; c++)
			fprintf(f, "  %s %s\n      %s\n", c->name, c->synopsis, c->help);
	} else
		fprintf(f, "usage: %s %s\n\n%s\n", t->name, t->bare->synopsis, t->summary);
	fprintf(f, "\nOptions:\n");
	for (const ss_opt *o = t->opts; o->name; o++)
		print_opt(o, f);
	fprintf(f, "  %-30s %s\n", "-h, --help", "show this help and exit");
	fprintf(f, "  %-30s %s\n", "-V, --version", "show the version and exit");
	if (t->cmds) {
		fprintf(f, "\n'%s COMMAND --help' shows one command's options and an example.\n",
			t->name);
		if (globals) {
			print_globals(t, f);
			fprintf(f, " may come before COMMAND as well as after it.\n");
		}
	}
	if (t->bare && t->bare->example)
		fprintf(f, "\nExample:\n  %s\n", t->bare->example);
	print_see_also(t, f);
}

void ss_opt_cmd_help(const ss_tool *t, const ss_cmd *c, FILE *f)
{
	fprintf(f, "usage: %s %s %s\n\n%s\n\nOptions:\n", t->name, c->name, c->synopsis, c->help);
	for (int i = 0; i < SS_CMD_OPTS && c->opts[i]; i++)
		print_opt(opt_by_key(t, c->opts[i], NULL), f);
	fprintf(f, "  %-30s %s\n", "-h, --help", "show this help and exit");
	if (c->example)
		fprintf(f, "\nExample:\n  %s\n", c->example);
	print_see_also(t, f);
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

int ss_opt_secret_src(ss_secret_src *src, const char *opt, const char *other, bool is_fd,
		      const char *arg, ss_err *err)
{
	if (src->file || src->fd >= 0)
		return ss_err_set(err, SS_EUSAGE, "%s and %s exclude each other", other, opt);
	if (!is_fd) {
		src->file = arg;
		return SS_OK;
	}
	return ss_opt_fd(opt, arg, &src->fd, err);
}
