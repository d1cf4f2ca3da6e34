/* UTF-8 as the documents must hold it (RFC 3629): the strict JSON scanner
 * and the message escaper decide what is valid the same way. */
#ifndef SS_UTF8_H
#define SS_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one
 * (overlong forms, surrogates and values past U+10FFFF are not). */
size_t ss_utf8_seq(const unsigned char *p, size_t avail);

#endif
