/* What the libFuzzer harnesses share.  Each fuzz/NAME.c (other than
 * harness.c) is one harness for one parser: it defines
 * LLVMFuzzerTestOneInput, and its seeds are fuzz/corpus/NAME/.  A line
 * "fuzz-dict: D" in its first comment gives it the dictionary fuzz/D.dict.
 * scripts/fuzz runs them (make fuzz, and the smoke pass of make check);
 * fuzz/README.md says how to add one.
 *
 * A harness checks more than "no crash": an error must be one line with
 * the status it returns, a parser must answer SS_EINPUT for what is wrong
 * in its input, and what it accepted must be what it understood (the
 * document rebuilt from the parsed value is the input, byte for byte in
 * RFC 8785 form).  A broken rule aborts, which libFuzzer reports as a
 * crash with the input that broke it. */
#ifndef SS_FUZZ_HARNESS_H
#define SS_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message when a rule does not hold. */
#define FUZZ_CHECK(cond, ...) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))
_Noreturn void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The error value after a call that returned rc: on failure, err carries
 * the same code and a non-empty message of one line (no control bytes). */
void fuzz_check_err(int rc, const ss_err *err);
/* The same, and rc is SS_OK or one of the codes allowed (0-terminated). */
void fuzz_check_rc(int rc, const ss_err *err, const int *allowed);
/* A parser's answer: SS_OK or SS_EINPUT, with a good error. */
void fuzz_check_input(int rc, const ss_err *err);

/* The input as a strictly parsed document, or NULL when it is not one. */
cJSON *fuzz_doc(const uint8_t *data, size_t size);

/* What a parser accepted is what it understood: the RFC 8785 form of
 * rebuilt (made from the parsed value) equals that of doc without its
 * "signature" member, "0x..." strings compared by value on both sides
 * (handles come with leading zeros from tpm2-tools, 0x01c00002; an
 * identifier may look like one and is kept as written).  Deletes rebuilt. */
void fuzz_same_document(const cJSON *doc, cJSON *rebuilt, const char *what);

#endif
