/* ss.pcrs.v1: what `ss-tpm-identity pcrs` prints reads back to the same
 * values, and the parser is as strict as docs/schemas/ss.pcrs.v1. */
#include <stdlib.h>
#include <string.h>

#include "ss/json.h"
#include "ss/pcrs.h"
#include "unit.h"

#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
#define F64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static int parse_text(const char *text, ss_pcrs *p, ss_err *err)
{
	cJSON *doc = NULL;
	int rc = ss_json_parse(text, strlen(text), &doc, err);

	if (!rc)
		rc = ss_pcrs_parse(doc, p, err);
	cJSON_Delete(doc);
	return rc;
}

static void refused(const char *text, const char *msg)
{
	ss_pcrs p;
	ss_err err = { 0 };

	CHECK(parse_text(text, &p, &err) == SS_EINPUT);
	CHECK_STR(err.msg, msg);
}

TEST(pcrs_round_trip_in_index_order)
{
	const char *text = "{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha256\",\"pcrs\":{\"17\":\"" F64
			   "\",\"3\":\"" Z64 "\"}}";
	ss_pcrs p;
	ss_err err = { 0 };
	ss_buf out = SS_BUF_INIT;
	cJSON *doc;

	CHECK(parse_text(text, &p, &err) == SS_OK);
	CHECK(p.sel.hash && strcmp(p.sel.hash->name, "sha256") == 0);
	CHECK(p.sel.mask == ((1u << 3) | (1u << 17)));
	CHECK(p.values[17][0] == 0xff && p.values[17][31] == 0xff && p.values[3][0] == 0);
	doc = ss_pcrs_to_json(&p);
	ss_json_write(doc, &out);
	ss_buf_addc(&out, '\0');
	CHECK_STR((const char *)out.data, "{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha256\",\"pcrs\":{"
					  "\"3\":\"" Z64 "\",\"17\":\"" F64 "\"}}");
	cJSON_Delete(doc);
	ss_buf_free(&out);
}

TEST(pcrs_refuses_what_the_schema_refuses)
{
	refused("{\"type\":\"ss.quote.v1\",\"pcr_bank\":\"sha256\",\"pcrs\":{\"0\":\"" Z64 "\"}}",
		"document type 'ss.quote.v1' where 'ss.pcrs.v1' was expected");
	refused("{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha3\",\"pcrs\":{\"0\":\"" Z64 "\"}}",
		"member 'pcr_bank': unknown bank 'sha3'");
	refused("{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha256\",\"pcrs\":{}}",
		"member 'pcrs' is empty");
	refused("{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha256\",\"pcrs\":{\"01\":\"" Z64 "\"}}",
		"member 'pcrs': '01' is not a PCR index 0-23");
	refused("{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha256\",\"pcrs\":{\"24\":\"" Z64 "\"}}",
		"member 'pcrs': '24' is not a PCR index 0-23");
	refused("{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha1\",\"pcrs\":{\"0\":\"" Z64 "\"}}",
		"member 'pcrs.0' must be 40 lowercase hex digits");
	refused("{\"type\":\"ss.pcrs.v1\",\"pcr_bank\":\"sha256\",\"pcrs\":{\"0\":\"" Z64
		"\"},\"extra\":1}",
		"unknown member 'extra'");
}

int main(void)
{
	RUN(pcrs_round_trip_in_index_order);
	RUN(pcrs_refuses_what_the_schema_refuses);
	return unit_done();
}
