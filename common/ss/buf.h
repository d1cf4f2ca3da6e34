/* A growable byte buffer owned by the caller.  data is always NUL-terminated
 * (not counted in len) so text can be handed to C string functions. */
#ifndef SS_BUF_H
#define SS_BUF_H

#include <stddef.h>

typedef struct ss_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
} ss_buf;

#define SS_BUF_INIT { NULL, 0, 0 }

void ss_buf_reserve(ss_buf *b, size_t extra);
void ss_buf_add(ss_buf *b, const void *p, size_t n);
void ss_buf_addc(ss_buf *b, unsigned char c);
void ss_buf_adds(ss_buf *b, const char *s);
void ss_buf_addf(ss_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ss_buf_reset(ss_buf *b);
void ss_buf_free(ss_buf *b);
/* Wipe the contents (including spare capacity) before freeing: for buffers
 * that held anything secret. */
void ss_buf_wipe_free(ss_buf *b);
/* NUL-terminated view, never NULL. */
const char *ss_buf_str(const ss_buf *b);

#endif
