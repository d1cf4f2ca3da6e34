/* ss_execution_parse_text must answer exactly as ss_json_parse followed by
 * ss_execution_parse: same status, same message, same result.  Checked on
 * hand-picked cases and on many random mutations of valid documents. */
#include <stdlib.h>
#include <string.h>

#include "ss/execution_text.h"
#include "ss/json.h"
#include "unit.h"

static const char *const valid[] = {
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"exec-1\",\"tenant_id\":\"t\","
	"\"operator_id\":\"op:1.a_b\",\"fingerprint\":\"sha256:"
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
	" { \"fingerprint\" : \"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\" ,\n"
	"\"operator_id\":\"o\", \"tenant_id\":\"T-9\",\"execution_id\":\"E\",\t"
	"\"type\":\"ss.execution.v1\" }\r\n",
};

/* Inputs that must take the tree path and still agree. */
static const char *const unusual[] = {
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\\u0078\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"tenant_id\":\"u\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":7,"
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"{\"type\":\"ss.execution.v2\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\",\"x\":null}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\"}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"\xc3\xa9\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"000000000000000000000000000000000000000000000000000000000000000A\"}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\",}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}}",
	"{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\x7f\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"\xef\xbb\xbf{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\","
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
	"0000000000000000000000000000000000000000000000000000000000000000\"}",
	"{}",
	"[]",
	"",
	"{\"type\":\"ss.execution.v1\"} x",
};

/* Compare both paths on text; returns 1 when they agree. */
static int agree(const char *text, size_t len)
{
	ss_execution a, b;
	ss_err ea = { 0 }, eb = { 0 };
	cJSON *doc = NULL;
	int ra, rb;

	memset(&a, 0x55, sizeof a);
	memset(&b, 0x55, sizeof b);
	ra = ss_execution_parse_text(text, len, &a, &ea);
	rb = ss_json_parse(text, len, &doc, &eb);
	if (!rb)
		rb = ss_execution_parse(doc, "", &b, &eb);
	cJSON_Delete(doc);
	if (ra != rb || strcmp(ea.msg, eb.msg) != 0) {
		printf("#   differ on '%.*s': %d '%s' vs %d '%s'\n", (int)len, text, ra, ea.msg, rb,
		       eb.msg);
		return 0;
	}
	if (!ra && memcmp(&a, &b, sizeof a) != 0) {
		printf("#   different result for '%.*s'\n", (int)len, text);
		return 0;
	}
	return 1;
}

TEST(valid_documents_read_in_place)
{
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		ss_execution e;
		ss_err err = { 0 };

		CHECK(ss_execution_parse_text(valid[i], strlen(valid[i]), &e, &err) == SS_OK);
		CHECK(agree(valid[i], strlen(valid[i])));
	}
}

TEST(unusual_documents_agree_with_the_tree_parser)
{
	for (size_t i = 0; i < sizeof unusual / sizeof unusual[0]; i++)
		CHECK(agree(unusual[i], strlen(unusual[i])));
}

static const char alphabet[] = "\"\\{}[],: \t\r\n0123456789aefnrtsu-._\x01\x7f\xc3\xa9\xff";

/* Identifiers of 128 characters are the longest there are. */
TEST(identifier_length_limit_agrees)
{
	char doc[600], id[131];

	for (int n = 127; n <= 129; n++) {
		memset(id, 'x', (size_t)n);
		id[n] = 0;
		snprintf(doc, sizeof doc,
			 "{\"type\":\"ss.execution.v1\",\"execution_id\":\"%s\",\"tenant_id\":\"t\","
			 "\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
			 "0000000000000000000000000000000000000000000000000000000000000000\"}", id);
		CHECK(agree(doc, strlen(doc)));
	}
}

/* Every byte value as a one-character identifier. */
TEST(every_identifier_byte_agrees)
{
	char doc[300];

	for (int c = 1; c < 256; c++) {
		snprintf(doc, sizeof doc,
			 "{\"type\":\"ss.execution.v1\",\"execution_id\":\"a%cb\",\"tenant_id\":\"t\","
			 "\"operator_id\":\"o\",\"fingerprint\":\"sha256:"
			 "0000000000000000000000000000000000000000000000000000000000000000\"}", c);
		CHECK(agree(doc, strlen(doc)));
	}
}

TEST(random_mutations_agree_with_the_tree_parser)
{
	char buf[512];
	int disagreements = 0, accepted = 0;

	srand(4);
	for (int round = 0; round < 400000 && disagreements < 5; round++) {
		const char *base = valid[round % 2];
		size_t n = strlen(base);
		int edits = 1 + rand() % 3;

		memcpy(buf, base, n);
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)rand() % n;
			char c = alphabet[rand() % (int)(sizeof alphabet - 1)];
			switch (rand() % 3) {
			case 0: /* replace */
				buf[at] = c;
				break;
			case 1: /* insert */
				if (n + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default: /* delete */
				if (n > 1) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
			}
		}
		if (!agree(buf, n))
			disagreements++;
		else {
			ss_execution x;
			ss_err err = { 0 };
			accepted += ss_execution_parse_text(buf, n, &x, &err) == SS_OK;
		}
	}
	CHECK(disagreements == 0);
	CHECK(accepted > 1000); /* mutations that keep a valid document do occur */
}

int main(void)
{
	RUN(valid_documents_read_in_place);
	RUN(unusual_documents_agree_with_the_tree_parser);
	RUN(identifier_length_limit_agrees);
	RUN(every_identifier_byte_agrees);
	RUN(random_mutations_agree_with_the_tree_parser);
	return unit_done();
}
