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

/* How a long option name matches the word w (its first len bytes): 2
 * exactly, 1 as an abbreviation, 0 not. */
static int long_match(const char *name, const char *w, size_t len)
{
	if (strncmp(name, w, len) != 0)
		return 0;
	return name[len] == '\0' ? 2 : 1;
}

/* Which option a word before the command names, as getopt_long would read
 * it: "--name", "--name=VALUE", an unambiguous abbreviation of a long name,
 * or "-c" alone.  Returns its key (KEY_HELP and KEY_VERSION included, with
 * *opt NULL), 0 when the word is no option of the tool; *inline_arg:
 * "=VALUE" was given. */
static int word_key(const ss_tool *t, const char *w, bool *inline_arg, const ss_opt **opt)
{
	static const struct { const char *name; int key; } builtin[] = {
		{ "help", KEY_HELP }, { "version", KEY_VERSION },
	};
	int key = 0, prefixes = 0, m;
	size_t len;

	*inline_arg = false;
	*opt = NULL;
	if (w[0] != '-' || !w[1] || (w[1] != '-' && w[2]))
		return 0;
	if (w[1] != '-') {
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
	if (!(len = strcspn(w, "=")))
		return 0;
	*inline_arg = w[len] == '=';
	for (const ss_opt *o = t->opts; o->name; o++)
		if ((m = long_match(o->name, w, len))) {
			*opt = o;
			if (m == 2)
				return o->key;
			prefixes++;
			key = o->key;
		}
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if ((m = long_match(builtin[i].name, w, len))) {
			*opt = NULL;
			if (m == 2)
				return builtin[i].key;
			prefixes++;
			key = builtin[i].key;
		}
	if (prefixes != 1) {
		*opt = NULL;
		return 0;
	}
	return key;
}

/* Skip the global options before the command name; *at: the first word
 * after them.  *key: KEY_HELP or KEY_VERSION when one of those came first. */
static int skip_globals(const ss_tool *t, int argc, char **argv, int *at, int *key, ss_err *err)
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
		if (o->arg && !inline_arg && i + 1 == argc)
			return ss_err_set(err, SS_EUSAGE, "option '%s' needs an argument", argv[i]);
		i += o->arg && !inline_arg ? 2 : 1;
	}
	*at = i;
	return SS_OK;
}

static void print_version(const ss_tool *t)
{
	printf("%s %s\n", t->name, SS_VERSION);
}

/* The word after the first skip ones of a space-separated list, and how
 * many words the list has. */
static const char *word_after(const char *list, int skip)
{
	for (int k = 0; k < skip && *list; k++) {
		list += strcspn(list, " ");
		list += strspn(list, " ");
	}
	return list;
}

static int count_words(const char *list)
{
	int n = 0;

	for (; list && *list; n++)
		list = word_after(list, 1);
	return n;
}

/* The subject of a usage error about a command: "challenge: " ("" for
 * the form without a command). */
static const char *subject(const ss_cmd *c, char *buf, size_t len)
{
	if (!c->name)
		return "";
	snprintf(buf, len, "%s: ", c->name);
	return buf;
}

/* Which form argv asks for: *c the command (or bare form), *at the index
 * of the command's name in argv (0: none).  Prints and sets *done for a
 * --help or --version before the command. */
static int pick_form(const ss_tool *t, int argc, char **argv, const ss_cmd **c, int *at,
		     bool *done, ss_err *err)
{
	int early, rc;

	*done = false;
	if ((rc = skip_globals(t, argc, argv, at, &early, err)))
		return rc;
	if (early) {
		if (early == KEY_HELP)
			ss_opt_help(t, stdout);
		else
			print_version(t);
		*done = true;
		return SS_OK;
	}
	if (!t->cmds || (t->bare && (*at == argc || argv[*at][0] == '-' ||
				     (t->bare->more_operands && !find_cmd(t, argv[*at]))))) {
		*c = t->bare;
		*at = 0;
		return SS_OK;
	}
	if (*at == argc)
		return ss_err_set(err, SS_EUSAGE, "missing command (try '%s --help')", t->name);
	if (!(*c = find_cmd(t, argv[*at])))
		return ss_err_set(err, SS_EUSAGE, "unknown command '%s' (try '%s --help')",
				  argv[*at], t->name);
	return SS_OK;
}

/* After every option was read: the operands the command takes, then the
 * options it needs, then those the options given need. */
static int check_whole(const ss_tool *t, const ss_cmd *c, const unsigned *seen, char **operands,
		       int nops, void *args, ss_err *err)
{
	int want = count_words(c->operands), rc;
	bool lifted = false;
	char subj[80];
	size_t i = 0, j = 0;

	if (nops > want && !c->more_operands)
		return ss_err_set(err, SS_EUSAGE, "unexpected argument '%.200s'", operands[want]);
	if (nops < want)
		return ss_err_set(err, SS_EUSAGE, "%sneeds %s", subject(c, subj, sizeof subj),
				  word_after(c->operands, nops));
	for (int k = 0; k < nops; k++)
		if ((rc = t->set(args, c->operand_key ? c->operand_key : SS_OPERAND, operands[k],
				 err)))
			return rc;
	if (c->unless && opt_by_key(t, c->unless, &i))
		lifted = seen[i] != 0;
	for (int k = 0; !lifted && k < SS_CMD_OPTS && c->needs[k]; k++) {
		const ss_opt *o = opt_by_key(t, c->needs[k], &i);
		if (!seen[i])
			return ss_err_set(err, SS_EUSAGE, "%sneeds --%s",
					  subject(c, subj, sizeof subj), o->name);
	}
	/* An option needs another only in the commands that take that other
	 * (ss-derive-key's --session needs --session-secret to derive, not to
	 * check a key record). */
	for (i = 0; t->opts[i].name; i++)
		for (int k = 0; seen[i] && k < SS_OPT_NEEDS && t->opts[i].needs[k]; k++) {
			const ss_opt *o = opt_by_key(t, t->opts[i].needs[k], &j);
			if (!seen[j] && takes(c, o->key))
				return ss_err_set(err, SS_EUSAGE, "--%s: needs --%s", t->opts[i].name,
						  o->name);
		}
	return SS_OK;
}

int ss_opt_parse(const ss_tool *tool, int argc, char **argv, void *args, const ss_cmd **cmd,
		 ss_err *err)
{
	size_t n = count_opts(tool->opts);
	struct option *lo;
	unsigned *seen;
	char **av, **operands;
	char shorts[128] = "-:";
	size_t sl = 2;
	int ac = 0, nops = 0, at = 0, rc;
	const ss_cmd *c = NULL;
	bool done;

	*cmd = NULL;
	check_table(tool);
	if ((rc = pick_form(tool, argc, argv, &c, &at, &done, err)) || done)
		return rc;

	/* The words to read: all but the command's name. */
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

	/* "-" first: operands come back in order as key SS_OPERAND, whatever
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
		if (key == KEY_HELP || key == KEY_VERSION) {
			if (key == KEY_VERSION)
				print_version(tool);
			else if (c->name)
				ss_opt_cmd_help(tool, c, stdout);
			else
				ss_opt_help(tool, stdout);
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
	if (!(rc = check_whole(tool, c, seen, operands, nops, args, err)))
		*cmd = c;
out:
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
		   "See %s(1) and ss-toolkit(7).\n", t->name);
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
