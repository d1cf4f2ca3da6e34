/* Input in messages: one error is one line.
 *
 * Whatever a document, a policy, a certificate or the command line puts
 * into a message is escaped: C0 controls, DEL, C1 controls (U+0080..U+009F)
 * and bytes that are not valid UTF-8 become \xNN, one per byte; everything
 * else, valid UTF-8 included, stays as it is.  A value longer than its cut
 * is cut on a character boundary and ends with '…' (U+2026).  ss_err_set and
 * the other message functions (ss/err.h) format through ss_vformat, so every
 * %s argument of a message is escaped and cut without the caller doing
 * anything; the printed line is escaped once more as a whole. */
#ifndef SS_ESCAPE_H
#define SS_ESCAPE_H

#include <stdarg.h>
#include <stddef.h>

/* The cut of a %s argument that gives no precision, in bytes. */
#define SS_ESCAPE_CUT 256
#define SS_ESCAPE_ALL ((size_t)-1)

/* Escape n bytes of s into out (NUL-terminated, never more than outlen
 * bytes with the NUL), taking at most cut bytes of s (SS_ESCAPE_ALL: no
 * cut).  Returns the length written. */
size_t ss_escape(const char *s, size_t n, size_t cut, char *out, size_t outlen);

/* vsnprintf, except that each %s argument is escaped and cut at its
 * precision (%.64s: 64 bytes) or else at SS_ESCAPE_CUT.  %n is not
 * supported.  Returns the length written. */
size_t ss_vformat(char *out, size_t outlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
size_t ss_format(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
