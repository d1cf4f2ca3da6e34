#include "ss/yaml_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ss/json.h"

struct frame {
	cJSON *node;
	char *key; /* a mapping's key waiting for its value */
	yaml_mark_t start;
};

struct conv {
	const char *name;
	ss_err *err;
	struct frame stack[SS_JSON_MAX_DEPTH + 1];
	int depth;
	cJSON *root;
};

static int bad(struct conv *c, const yaml_mark_t *m, const char *what)
{
	return ss_err_set(c->err, SS_EINPUT, "%s line %zu: %s", c->name, (size_t)m->line + 1, what);
}

/* A decimal integer within +-2^53, without leading zeros or a '+'. */
static bool plain_integer(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int64_t v = 0;
	bool neg = false;

	if (n && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == n || (s[i] == '0' && n - i > 1))
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (SS_JSON_MAX_INT - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

static cJSON *scalar_value(const yaml_event_t *e)
{
	const char *s = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	int64_t v;

	if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (strcmp(s, "true") == 0)
			return cJSON_CreateTrue();
		if (strcmp(s, "false") == 0)
			return cJSON_CreateFalse();
		if (n == 0 || strcmp(s, "null") == 0 || strcmp(s, "~") == 0)
			return cJSON_CreateNull();
		if (plain_integer(s, n, &v))
			return cJSON_CreateNumber((double)v);
	}
	return cJSON_CreateString(s);
}

/* Hang v under the innermost container (or make it the root). */
static int attach(struct conv *c, cJSON *v, const yaml_mark_t *m)
{
	struct frame *top;

	if (!v)
		ss_oom();
	if (c->depth == 0) {
		if (!cJSON_IsObject(v)) {
			cJSON_Delete(v);
			return bad(c, m, "the document must be a mapping");
		}
		c->root = v;
		return SS_OK;
	}
	top = &c->stack[c->depth - 1];
	if (cJSON_IsArray(top->node)) {
		cJSON_AddItemToArray(top->node, v);
		return SS_OK;
	}
	cJSON_AddItemToObject(top->node, top->key, v);
	free(top->key);
	top->key = NULL;
	return SS_OK;
}

static int on_scalar(struct conv *c, const yaml_event_t *e)
{
	struct frame *top = c->depth ? &c->stack[c->depth - 1] : NULL;
	const char *s = (const char *)e->data.scalar.value;
	char what[200];

	if (memchr(s, 0, e->data.scalar.length))
		return bad(c, &e->start_mark, "U+0000 is not allowed in a string");
	if (top && cJSON_IsObject(top->node) && !top->key) {
		if (cJSON_GetObjectItemCaseSensitive(top->node, s)) {
			snprintf(what, sizeof what, "duplicate member '%.100s'", s);
			return bad(c, &e->start_mark, what);
		}
		top->key = ss_xstrdup(s);
		return SS_OK;
	}
	return attach(c, scalar_value(e), &e->start_mark);
}

static int on_start(struct conv *c, const yaml_event_t *e, bool mapping)
{
	struct frame *top = c->depth ? &c->stack[c->depth - 1] : NULL;

	if (top && cJSON_IsObject(top->node) && !top->key)
		return bad(c, &e->start_mark, "mapping keys must be scalars");
	if (c->depth == SS_JSON_MAX_DEPTH)
		return bad(c, &e->start_mark, "nested deeper than 32 levels");
	c->stack[c->depth].node = mapping ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!c->stack[c->depth].node)
		ss_oom();
	c->stack[c->depth].key = NULL;
	c->stack[c->depth].start = e->start_mark;
	c->depth++;
	return SS_OK;
}

static int on_end(struct conv *c)
{
	struct frame f = c->stack[--c->depth];

	free(f.key);
	return attach(c, f.node, &f.start);
}

static int on_event(struct conv *c, const yaml_event_t *e, int *docs)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return bad(c, &e->start_mark, "more than one document");
		return SS_OK;
	case YAML_ALIAS_EVENT:
		return bad(c, &e->start_mark, "aliases are not allowed");
	case YAML_SCALAR_EVENT:
		anchor = e->data.scalar.anchor;
		tag = e->data.scalar.tag;
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		anchor = e->type == YAML_MAPPING_START_EVENT ? e->data.mapping_start.anchor
							     : e->data.sequence_start.anchor;
		tag = e->type == YAML_MAPPING_START_EVENT ? e->data.mapping_start.tag
							  : e->data.sequence_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return bad(c, &e->start_mark, "anchors are not allowed");
	if (tag)
		return bad(c, &e->start_mark, "tags are not allowed");
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(c, e);
	case YAML_MAPPING_START_EVENT:
		return on_start(c, e, true);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(c, e, false);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return on_end(c);
	default:
		return SS_OK;
	}
}

int ss_yaml_to_json(const char *text, size_t len, const char *name, cJSON **out, ss_err *err)
{
	struct conv c = { name, err, { { NULL, NULL, { 0, 0, 0 } } }, 0, NULL };
	yaml_parser_t parser;
	yaml_event_t e;
	int docs = 0, rc = SS_OK;
	bool done = false;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		ss_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&parser, &e)) {
			char what[300];
			snprintf(what, sizeof what, "%s", parser.problem ? parser.problem : "not YAML");
			rc = bad(&c, &parser.problem_mark, what);
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		rc = on_event(&c, &e, &docs);
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
	while (c.depth > 0) {
		c.depth--;
		free(c.stack[c.depth].key);
		cJSON_Delete(c.stack[c.depth].node);
	}
	if (!rc && !c.root)
		rc = ss_err_set(err, SS_EINPUT, "%s: empty document", name);
	if (rc) {
		cJSON_Delete(c.root);
		return rc;
	}
	*out = c.root;
	return SS_OK;
}
