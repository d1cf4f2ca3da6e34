#include "ss/buf.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/err.h"

void ss_buf_reserve(ss_buf *b, size_t extra)
{
	size_t need, cap;
	unsigned char *p;

	if (extra > SIZE_MAX - b->len - 1)
		ss_oom();
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Grow by copying rather than realloc so that a buffer that once held
	 * a secret never leaves a stale copy behind in freed memory. */
	p = ss_xmalloc(cap);
	if (b->data) {
		memcpy(p, b->data, b->len + 1);
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
}

void ss_buf_add(ss_buf *b, const void *p, size_t n)
{
	ss_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

void ss_buf_addc(ss_buf *b, unsigned char c)
{
	ss_buf_add(b, &c, 1);
}

void ss_buf_adds(ss_buf *b, const char *s)
{
	ss_buf_add(b, s, strlen(s));
}

void ss_buf_addf(ss_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		ss_oom();
	ss_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void ss_buf_reset(ss_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

void ss_buf_free(ss_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void ss_buf_wipe_free(ss_buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	ss_buf_free(b);
}

const char *ss_buf_str(const ss_buf *b)
{
	return b->data ? (const char *)b->data : "";
}
