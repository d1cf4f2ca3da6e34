/* A minimal TAP producer for the C unit tests of libss.
 *
 *   TEST(json_rejects_nul) { CHECK(ss_json_parse(...) == SS_EINPUT); }
 *   int main(void) { RUN(json_rejects_nul); return unit_done(); }
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_n, unit_failures, unit_current_failed;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			unit_current_failed = 1;                                     \
			printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		}                                                                    \
	} while (0)

#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *a_ = (a), *b_ = (b);                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                            \
			unit_current_failed = 1;                                     \
			printf("#   %s:%d: '%s' != '%s'\n", __FILE__, __LINE__,         \
			       a_ ? a_ : "(null)", b_ ? b_ : "(null)");              \
		}                                                                    \
	} while (0)

#define RUN(name)                                                                    \
	do {                                                                         \
		unit_current_failed = 0;                                             \
		name();                                                              \
		unit_n++;                                                            \
		if (unit_current_failed)                                             \
			unit_failures++;                                             \
		printf("%s %d %s\n", unit_current_failed ? "not ok" : "ok", unit_n, #name); \
		fflush(stdout);                                                      \
	} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failures ? 1 : 0;
}

#endif
