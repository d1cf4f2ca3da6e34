/* The set-up and the checks every harness shares (fuzz/harness.h). */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/buf.h"
#include "ss/crypto.h"
#include "ss/jcs.h"
#include "ss/json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ss_prog = "fuzz";
	ss_crypto_init();
	return 0;
}

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: rule broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void fuzz_check_err(int rc, const ss_err *err)
{
	FUZZ_CHECK(rc >= SS_OK && rc <= SS_EVMM, "status %d", rc);
	if (rc == SS_OK)
		return;
	FUZZ_CHECK(err->code == rc, "returned %d, error says %d (%s)", rc, err->code, err->msg);
	FUZZ_CHECK(err->msg[0] != 0, "status %d without a message", rc);
	for (const unsigned char *p = (const unsigned char *)err->msg; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f, "control byte 0x%02x in '%s'", *p, err->msg);
}

void fuzz_check_rc(int rc, const ss_err *err, const int *allowed)
{
	bool ok = rc == SS_OK;

	fuzz_check_err(rc, err);
	for (const int *a = allowed; !ok && *a; a++)
		ok = rc == *a;
	FUZZ_CHECK(ok, "status %d is not one this parser may give (%s)", rc, err->msg);
}

void fuzz_check_input(int rc, const ss_err *err)
{
	static const int input[] = { SS_EINPUT, 0 };

	fuzz_check_rc(rc, err, input);
}

cJSON *fuzz_doc(const uint8_t *data, size_t size)
{
	ss_err err = { 0 };
	cJSON *doc = NULL;
	int rc = ss_json_parse((const char *)data, size, &doc, &err);

	fuzz_check_input(rc, &err);
	FUZZ_CHECK(!rc == !!doc, "status %d with%s a tree", rc, doc ? "" : "out");
	return doc;
}

/* "0x..." quantities are read by value: tpm2-tools writes handles with
 * leading zeros (0x01c00002), the tools without. */
static void drop_leading_zeros(cJSON *v)
{
	cJSON *c;

	if (cJSON_IsString(v) && strncmp(v->valuestring, "0x0", 3) == 0 && v->valuestring[3] &&
	    strspn(v->valuestring + 2, "0123456789abcdef") == strlen(v->valuestring + 2)) {
		char *p = v->valuestring + 2;
		size_t z = strspn(p, "0");
		if (!p[z])
			z--;
		memmove(p, p + z, strlen(p + z) + 1);
	}
	cJSON_ArrayForEach(c, v)
		drop_leading_zeros(c);
}

void fuzz_same_document(const cJSON *doc, cJSON *rebuilt, const char *what)
{
	ss_buf a = SS_BUF_INIT, b = SS_BUF_INIT;
	cJSON *read = cJSON_Duplicate(doc, 1);

	FUZZ_CHECK(rebuilt != NULL && read != NULL, "%s: nothing rebuilt", what);
	/* Both sides: an identifier that looks like a quantity ("0x07...") is
	 * kept as written, and must still compare equal. */
	drop_leading_zeros(read);
	drop_leading_zeros(rebuilt);
	FUZZ_CHECK(ss_jcs_write_without(read, "signature", &a), "%s: input has no JCS form", what);
	FUZZ_CHECK(ss_jcs_write_without(rebuilt, "signature", &b), "%s: rebuilt has no JCS form",
		   what);
	FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
		   "%s: accepted\n  %.*s\nbut understood\n  %.*s", what, (int)a.len,
		   (const char *)a.data, (int)b.len, (const char *)b.data);
	ss_buf_free(&a);
	ss_buf_free(&b);
	cJSON_Delete(read);
	cJSON_Delete(rebuilt);
}
