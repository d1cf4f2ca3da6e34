#include "ss/err.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/escape.h"

const char *ss_prog = "ss";

int ss_err_vset(ss_err *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	/* Every %s argument escaped and cut (ss/escape.h): one error, one line. */
	ss_vformat(err->msg, sizeof err->msg, fmt, ap);
	return code;
}

int ss_err_set(ss_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ss_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

static void append(ss_err *err, const char *tail)
{
	size_t used = strlen(err->msg);

	snprintf(err->msg + used, sizeof err->msg - used, ": %s", tail);
}

int ss_err_errno(ss_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	ss_err_vset(err, code, fmt, ap);
	va_end(ap);
	append(err, strerror(saved));
	return code;
}

int ss_err_ssl(ss_err *err, const char *fmt, ...)
{
	unsigned long e = ERR_peek_error();
	const char *reason;
	va_list ap;

	if (!err) {
		ERR_clear_error();
		return SS_ECRYPTO;
	}
	va_start(ap, fmt);
	ss_err_vset(err, SS_ECRYPTO, fmt, ap);
	va_end(ap);
	/* The tools do not load OpenSSL's table of error texts (ss_crypto_init:
	 * filling it costs every run more than most of its work), so the
	 * reason is usually the code, which `openssl errstr CODE` names. */
	reason = e ? ERR_reason_error_string(e) : NULL;
	if (reason) {
		append(err, reason);
	} else if (e) {
		char code[48];

		snprintf(code, sizeof code, "OpenSSL error code %lX", e);
		append(err, code);
	} else {
		append(err, "OpenSSL error");
	}
	ERR_clear_error();
	return SS_ECRYPTO;
}

int ss_err_prefix(ss_err *err, const char *fmt, ...)
{
	char head[512];
	size_t hl, old;
	va_list ap;

	if (!err)
		return SS_ECRYPTO;
	va_start(ap, fmt);
	ss_vformat(head, sizeof head, fmt, ap);
	va_end(ap);
	hl = strlen(head) + 2; /* "head: " */
	old = strlen(err->msg);
	if (hl >= sizeof err->msg)
		hl = sizeof err->msg - 1;
	if (old > sizeof err->msg - 1 - hl)
		old = sizeof err->msg - 1 - hl;
	memmove(err->msg + hl, err->msg, old);
	err->msg[hl + old] = 0;
	memcpy(err->msg, head, hl - 2);
	memcpy(err->msg + hl - 2, ": ", 2);
	return err->code;
}

/* The whole line escaped once more: a message assembled by other means
 * (a library's error text, a truncated character) stays one line too. */
static void print_line(const char *what, const char *msg)
{
	char line[4 * sizeof ((ss_err *)0)->msg + 1];

	ss_escape(msg, strlen(msg), SS_ESCAPE_ALL, line, sizeof line);
	fprintf(stderr, "%s: %s%s\n", ss_prog, what, line);
}

void ss_err_print(const ss_err *err)
{
	print_line("", err->msg);
}

void ss_warn(const char *fmt, ...)
{
	char msg[sizeof ((ss_err *)0)->msg];
	va_list ap;

	va_start(ap, fmt);
	ss_vformat(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_line("warning: ", msg);
}

_Noreturn void ss_oom(void)
{
	static const char tail[] = ": out of memory\n";

	fputs(ss_prog, stderr);
	fputs(tail, stderr);
	_Exit(SS_EIO);
}

void *ss_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ss_oom();
	return p;
}

void *ss_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		ss_oom();
	return p;
}

void *ss_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		ss_oom();
	return q;
}

char *ss_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		ss_oom();
	return d;
}
