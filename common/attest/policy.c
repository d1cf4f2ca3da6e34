#include "ss/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "ss/pcr_select.h"
#include "ss/enc.h"
#include "ss/io.h"
#include "ss/num.h"
#include "ss/secret.h"

void ss_policy_defaults(ss_policy *p)
{
	memset(p, 0, sizeof *p);
	p->allowed_hashes = SS_HASH_DEFAULT;
	p->require_clock_safe = true;
	p->max_challenge_age = 300;
	p->clock_skew = 30;
	p->session_lifetime = 900;
}

struct ctx {
	yaml_document_t *doc;
	const char *name;
	ss_policy *p;
	ss_err *err;
};

static int bad(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return ss_err_set(c->err, SS_EINPUT, "%s line %zu: %s", c->name,
			  (size_t)n->start_mark.line + 1, what);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Booleans, numbers and PCR indexes are plain scalars: a quoted "true" is
 * a string, and a policy never guesses. */
static bool plain(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* Digits only, no sign, no leading zero, no "0x": what the policy means
 * is what it reads as. */
static bool plain_decimal(const char *s)
{
	if (!s || !*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *key, bool *out)
{
	const char *s = scalar(n);

	if (s && !plain(n))
		return bad(c, n, "'%s' must be true or false, unquoted", key);
	if (s && strcmp(s, "true") == 0)
		*out = true;
	else if (s && strcmp(s, "false") == 0)
		*out = false;
	else
		return bad(c, n, "'%s' must be true or false", key);
	return SS_OK;
}

static int get_seconds(struct ctx *c, const yaml_node_t *n, const char *key, int64_t max,
		       int64_t *out)
{
	const char *s = scalar(n);
	uint64_t v;

	if (s && !plain(n))
		return bad(c, n, "'%s' must be a plain decimal number, unquoted", key);
	if (s && *s && !plain_decimal(s) && s[0] != '-')
		return bad(c, n, "'%s' must be a plain decimal number ('%.32s')", key, s);
	if (!s || !plain_decimal(s) || !ss_parse_u64(s, 0, (uint64_t)max, &v))
		return bad(c, n, "'%s' must be a number of seconds in range", key);
	*out = (int64_t)v;
	return SS_OK;
}

static int get_digest(struct ctx *c, const yaml_node_t *n, unsigned idx, uint8_t *out)
{
	const char *s = scalar(n);
	size_t len = 0;

	if (!s || !ss_hex_decode_any_case(s, strlen(s), out, SS_MAX_DIGEST, &len))
		return bad(c, n, "PCR %u: value is not hex", idx);
	if (len != c->p->bank->size)
		return bad(c, n, "PCR %u: value is %zu bytes, %s values are %zu", idx, len,
			   c->p->bank->name, c->p->bank->size);
	return SS_OK;
}

static int get_pcrs(struct ctx *c, const yaml_node_t *map)
{
	/* Accepting any PCR values is said outright, never by leaving them out. */
	if (plain(map) && strcmp(scalar(map), "any") == 0) {
		c->p->any_pcrs = true;
		return SS_OK;
	}
	if (map->type != YAML_MAPPING_NODE)
		return bad(c, map, "'%s' must be a mapping of PCR index to value(s), or plain 'any'",
			   "pcrs");
	if (map->data.mapping.pairs.top == map->data.mapping.pairs.start)
		return bad(c, map, "'pcrs' names no PCR: give at least one value, or say 'pcrs: any'");
	if (!c->p->bank)
		return bad(c, map, "'%s' needs 'pcr_bank' before it", "pcrs");
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *ks = scalar(k);
		uint64_t idx;
		int rc;

		if (ks && !plain(k))
			return bad(c, k, "PCR index '%s' must be a plain integer, unquoted", ks);
		if (!plain_decimal(ks) || !ss_parse_u64(ks, 0, SS_PCR_COUNT - 1, &idx))
			return bad(c, k, "'%s' is not a PCR index 0-23", ks ? ks : "?");
		if (c->p->mask & (1u << idx))
			return bad(c, k, "PCR %s listed twice", ks);
		c->p->mask |= 1u << idx;
		if (v->type == YAML_SEQUENCE_NODE) {
			size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			if (n == 0 || n > SS_POLICY_MAX_VALUES)
				return bad(c, v, "PCR %s: between 1 and 16 allowed values", ks);
			for (size_t i = 0; i < n; i++) {
				yaml_node_t *item = yaml_document_get_node(
					c->doc, v->data.sequence.items.start[i]);
				if ((rc = get_digest(c, item, (unsigned)idx, c->p->values[idx][i])))
					return rc;
			}
			c->p->nvalues[idx] = (uint8_t)n;
		} else {
			if ((rc = get_digest(c, v, (unsigned)idx, c->p->values[idx][0])))
				return rc;
			c->p->nvalues[idx] = 1;
		}
	}
	return SS_OK;
}

static int get_hashes(struct ctx *c, const yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return bad(c, seq, "'%s' must be a list", "signature_hashes");
	c->p->allowed_hashes = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
	     it++) {
		yaml_node_t *n = yaml_document_get_node(c->doc, *it);
		const char *s = scalar(n);
		const ss_hashalg *h = s ? ss_hash_by_name(s) : NULL;
		if (!h)
			return bad(c, n, "unknown hash '%s'", s ? s : "?");
		c->p->allowed_hashes |= ss_hash_bit(h->tpm_alg);
	}
	if (!c->p->allowed_hashes)
		return bad(c, seq, "'%s' is empty", "signature_hashes");
	return SS_OK;
}

static int walk(struct ctx *c, yaml_node_t *root)
{
	static const char *const order[] = { "version", "pcr_bank", "pcrs", "signature_hashes",
					     "allow_simulator", "require_clock_safe",
					     "max_challenge_age", "clock_skew", "session_lifetime" };
	yaml_node_t *byname[9] = { 0 };
	int rc;

	if (!root || root->type != YAML_MAPPING_NODE)
		return ss_err_set(c->err, SS_EINPUT, "%s: expected a mapping of policy keys", c->name);
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		const char *ks = scalar(k);
		size_t i;
		for (i = 0; i < 9; i++)
			if (ks && strcmp(ks, order[i]) == 0)
				break;
		if (i == 9)
			return bad(c, k, "unknown key '%s'", ks ? ks : "?");
		if (byname[i])
			return bad(c, k, "duplicate key '%s'", ks);
		byname[i] = yaml_document_get_node(c->doc, pr->value);
	}
	/* In dependency order, whatever order the file has them in. */
	if (byname[0] && scalar(byname[0]) && !plain(byname[0]))
		return bad(c, byname[0], "'%s' must be 1, unquoted", "version");
	if (byname[0] && (!scalar(byname[0]) || strcmp(scalar(byname[0]), "1") != 0))
		return bad(c, byname[0], "'%s' must be 1", "version");
	if (byname[1]) {
		c->p->bank = scalar(byname[1]) ? ss_hash_by_name(scalar(byname[1])) : NULL;
		if (!c->p->bank)
			return bad(c, byname[1], "unknown PCR bank '%s'",
				   scalar(byname[1]) ? scalar(byname[1]) : "?");
	}
	if (byname[2] && (rc = get_pcrs(c, byname[2])))
		return rc;
	if (byname[3] && (rc = get_hashes(c, byname[3])))
		return rc;
	if ((byname[4] && (rc = get_bool(c, byname[4], order[4], &c->p->allow_simulator))) ||
	    (byname[5] && (rc = get_bool(c, byname[5], order[5], &c->p->require_clock_safe))) ||
	    (byname[6] && (rc = get_seconds(c, byname[6], order[6], 86400, &c->p->max_challenge_age))) ||
	    (byname[7] && (rc = get_seconds(c, byname[7], order[7], 3600, &c->p->clock_skew))) ||
	    (byname[8] && (rc = get_seconds(c, byname[8], order[8], 7 * 86400, &c->p->session_lifetime))))
		return rc;
	if (byname[8] && c->p->session_lifetime == 0)
		return bad(c, byname[8], "'%s' must be at least 1", order[8]);
	if (!byname[2])
		return ss_err_set(c->err, SS_EINPUT, "%s: no 'pcrs': a policy names at least one PCR "
				  "value, or says 'pcrs: any'", c->name);
	return SS_OK;
}

/* What the document API cannot show: a second document, explicit tags
 * (the loader resolves "!!str true" to the same node as "true"), anchors
 * and aliases.  One pass over the events refuses them all, line-numbered. */
static int check_events(const char *text, size_t len, const char *name, ss_err *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	const char *tag, *anchor;
	int docs = 0, rc = SS_OK;
	bool end = false;

	if (!yaml_parser_initialize(&parser))
		ss_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!end && !rc) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = ss_err_set(err, SS_EINPUT, "%s line %zu: %s", name,
					(size_t)parser.problem_mark.line + 1,
					parser.problem ? parser.problem : "not YAML");
			break;
		}
		tag = anchor = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: end = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = ss_err_set(err, SS_EINPUT, "%s line %zu: a policy is one YAML "
						"document; a second one starts here", name,
						(size_t)ev.start_mark.line + 1);
			break;
		case YAML_SCALAR_EVENT:
			tag = (const char *)ev.data.scalar.tag;
			anchor = (const char *)ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
			tag = (const char *)ev.data.sequence_start.tag;
			anchor = (const char *)ev.data.sequence_start.anchor;
			break;
		case YAML_MAPPING_START_EVENT:
			tag = (const char *)ev.data.mapping_start.tag;
			anchor = (const char *)ev.data.mapping_start.anchor;
			break;
		case YAML_ALIAS_EVENT: anchor = ""; break;
		default: break;
		}
		if (!rc && tag)
			rc = ss_err_set(err, SS_EINPUT, "%s line %zu: tags are not allowed ('%s')", name,
					(size_t)ev.start_mark.line + 1, tag);
		else if (!rc && anchor)
			rc = ss_err_set(err, SS_EINPUT, "%s line %zu: anchors and aliases are not "
					"allowed", name, (size_t)ev.start_mark.line + 1);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

int ss_policy_parse(const char *text, size_t len, const char *name, ss_policy *p, ss_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx c = { &doc, name, p, err };
	int rc;

	ss_policy_defaults(p);
	if (len > SS_POLICY_MAX_SIZE)
		return ss_err_set(err, SS_EINPUT, "%s: larger than 1 MiB", name);
	if ((rc = check_events(text, len, name, err)))
		return rc;
	if (!yaml_parser_initialize(&parser))
		ss_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = ss_err_set(err, SS_EINPUT, "%s line %zu: %s", name,
				(size_t)parser.problem_mark.line + 1,
				parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = walk(&c, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!rc)
		ss_buf_add(&p->text, text, len);
	return rc;
}

int ss_policy_load(const char *path, ss_policy *p, ss_err *err)
{
	ss_buf b = SS_BUF_INIT;
	char name[4200];
	int rc;

	ss_policy_defaults(p);
	/* On a failed read b holds what was read so far: freed either way. */
	if (!(rc = ss_read_path(path, SS_POLICY_MAX_SIZE, &b, err))) {
		snprintf(name, sizeof name, "policy '%s'", path);
		rc = ss_policy_parse((const char *)b.data, b.len, name, p, err);
	}
	ss_buf_free(&b);
	return rc;
}

void ss_policy_free(ss_policy *p)
{
	ss_buf_free(&p->text);
}

bool ss_policy_allows(const ss_policy *p, unsigned idx, const uint8_t *v)
{
	if (!(p->mask & (1u << idx)))
		return true;
	for (unsigned i = 0; i < p->nvalues[idx]; i++)
		if (ss_ct_equal(p->values[idx][i], v, p->bank->size))
			return true;
	return false;
}

void ss_policy_pcr_detail(const ss_policy *p, unsigned idx, const uint8_t *v, char *out,
			  size_t outlen)
{
	size_t hexlen = 2 * p->bank->size, n = p->nvalues[idx], shown = 0;
	ss_buf b = SS_BUF_INIT;

	ss_buf_addf(&b, "PCR %u is ", idx);
	ss_hex_append(&b, v, p->bank->size);
	ss_buf_adds(&b, n == 1 ? ", the policy allows " : ", the policy allows one of ");
	for (; shown < n; shown++) {
		/* Room for this value, its separator and "and N more" after it. */
		if (shown && b.len + 2 + hexlen + 32 >= outlen)
			break;
		if (shown)
			ss_buf_adds(&b, ", ");
		ss_hex_append(&b, p->values[idx][shown], p->bank->size);
	}
	if (shown < n)
		ss_buf_addf(&b, " and %zu more", n - shown);
	snprintf(out, outlen, "%.*s", (int)b.len, (const char *)b.data);
	ss_buf_free(&b);
}

void ss_policy_write(const ss_pcrsel *sel, const uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST],
		     bool allow_simulator, ss_buf *out)
{
	ss_buf_adds(out, "# ss attestation policy: golden PCR values captured from a known-good runner\n");
	ss_buf_adds(out, "version: 1\n");
	ss_buf_addf(out, "pcr_bank: %s\n", sel->hash->name);
	ss_buf_adds(out, "pcrs:\n");
	for (unsigned i = 0; i < SS_PCR_COUNT; i++)
		if (sel->mask & (1u << i)) {
			ss_buf_addf(out, "  %u: ", i);
			ss_hex_append(out, values[i], sel->hash->size);
			ss_buf_addc(out, '\n');
		}
	ss_buf_adds(out, "signature_hashes: [sha256, sha384, sha512]\n");
	ss_buf_addf(out, "allow_simulator: %s\n", allow_simulator ? "true" : "false");
	ss_buf_adds(out, "require_clock_safe: true\n");
	ss_buf_adds(out, "max_challenge_age: 300\n");
	ss_buf_adds(out, "clock_skew: 30\n");
	ss_buf_adds(out, "session_lifetime: 900\n");
}
