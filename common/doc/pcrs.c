#include "ss/pcrs.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ss/json.h"

/* "0".."23", no leading zeros. */
static bool pcr_index(const char *s, unsigned *out)
{
	unsigned v = 0;

	if (!s[0] || (s[0] == '0' && s[1]) || strlen(s) > 2)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v >= SS_PCR_COUNT)
		return false;
	*out = v;
	return true;
}

void ss_pcr_values_add(cJSON *obj, const ss_pcrsel *sel,
		       const uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST])
{
	cJSON *pcrs;
	char idx[4];

	ss_json_add_string(obj, "pcr_bank", sel->hash->name);
	pcrs = ss_json_add_object(obj, "pcrs");
	for (unsigned i = 0; i < SS_PCR_COUNT; i++)
		if (sel->mask & (1u << i)) {
			snprintf(idx, sizeof idx, "%u", i);
			ss_json_add_hex(pcrs, idx, values[i], sel->hash->size);
		}
}

int ss_pcr_values_parse(const cJSON *pcrs, const char *where, const ss_hashalg *bank,
			ss_pcrsel *sel, uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST], ss_err *err)
{
	int rc;

	sel->hash = bank;
	sel->mask = 0;
	for (const cJSON *c = pcrs->child; c; c = c->next) {
		unsigned idx;
		if (!pcr_index(c->string, &idx))
			return ss_err_set(err, SS_EINPUT, "member '%s': '%s' is not a PCR index 0-23",
					  where, c->string);
		if ((rc = ss_json_hex(pcrs, where, c->string, bank->size, values[idx], SS_MAX_DIGEST,
				      NULL, err)))
			return rc;
		sel->mask |= 1u << idx;
	}
	if (!sel->mask)
		return ss_err_set(err, SS_EINPUT, "member '%s' is empty", where);
	return SS_OK;
}

int ss_pcrs_parse(const cJSON *doc, ss_pcrs *out, ss_err *err)
{
	static const char *const members[] = { "type", "pcr_bank", "pcrs", NULL };
	const ss_hashalg *bank;
	const cJSON *pcrs;
	const char *name;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = ss_json_type(doc, "ss.pcrs.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_string(doc, "", "pcr_bank", &name, err)) ||
	    (rc = ss_json_object(doc, "", "pcrs", &pcrs, err)))
		return rc;
	if (!(bank = ss_hash_by_name(name)))
		return ss_err_set(err, SS_EINPUT, "member 'pcr_bank': unknown bank '%.32s'", name);
	return ss_pcr_values_parse(pcrs, "pcrs", bank, &out->sel, out->values, err);
}

cJSON *ss_pcrs_to_json(const ss_pcrs *p)
{
	cJSON *doc = ss_json_new_object();

	ss_json_add_string(doc, "type", "ss.pcrs.v1");
	ss_pcr_values_add(doc, &p->sel, p->values);
	return doc;
}
