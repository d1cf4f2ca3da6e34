/* Secret bytes: in locked memory that is excluded from core dumps and wiped
 * before it is released; secret files that only their owner can read. */
#ifndef SS_SECRET_H
#define SS_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "ss/err.h"

typedef struct ss_secret {
	unsigned char *p;
	size_t len;
	size_t maplen; /* 0: nothing allocated */
} ss_secret;

#define SS_SECRET_INIT { NULL, 0, 0 }

/* Page-aligned anonymous mapping, mlock()ed when the limit allows,
 * MADV_DONTDUMP, zero-filled. */
int ss_secret_alloc(ss_secret *s, size_t len, ss_err *err);
/* Wipe, unlock, unmap; safe on an empty secret and twice. */
void ss_secret_free(ss_secret *s);

/* Read a whole secret file: a regular file (symlinks refused), no access
 * for group or others, between min and max bytes, read exactly (a trailing
 * newline is part of the secret).  Violations are SS_EINPUT. */
int ss_secret_read_file(const char *path, size_t min, size_t max, ss_secret *out, ss_err *err);
/* The same from an inherited descriptor (pipe or file) until EOF. */
int ss_secret_read_fd(int fd, size_t min, size_t max, ss_secret *out, ss_err *err);

/* Where a secret comes from: a file or an inherited descriptor, as an
 * auth value is named on a command line (ss_opt_secret_src), or neither. */
typedef struct ss_secret_src {
	const char *file; /* NULL: none */
	int fd;           /* -1: none */
} ss_secret_src;

#define SS_SECRET_SRC_INIT { NULL, -1 }

/* Read the secret src names (ss_secret_read_file / _fd rules, min..max
 * bytes); none named: an empty secret, SS_OK.  what, when not NULL,
 * prefixes messages ("owner authorization: secret file ..."). */
int ss_secret_src_read(const ss_secret_src *src, const char *what, size_t min, size_t max,
		       ss_secret *out, ss_err *err);

/* A path given for a secret output: "-" is SS_EUSAGE, since a secret never
 * goes to standard output. */
int ss_secret_out_path(const char *path, ss_err *err);
/* A new file, mode 0600, complete or absent (see ss_file_create); an
 * existing path is SS_EIO and stays untouched; "-" is SS_EUSAGE. */
int ss_secret_write_file(const char *path, const void *p, size_t n, ss_err *err);
/* The same with the durability bits of ss_file_create_ex (at least
 * SS_SYNC_DATA, so the file is complete or absent). */
int ss_secret_write_file_ex(const char *path, const void *p, size_t n, unsigned sync,
			    ss_err *err);
/* A directory for secret files: not "-", and ss_private_dir (ss/state.h). */
int ss_secret_dir(const char *path, ss_err *err);
/* An inherited descriptor a secret may be written to: a pipe, a socket, a
 * device, or a regular file that neither group nor others can read
 * (SS_EINPUT otherwise). */
int ss_secret_check_fd(int fd, ss_err *err);
/* Check it (ss_secret_check_fd), write, and close it. */
int ss_secret_write_fd(int fd, const void *p, size_t n, ss_err *err);

/* Constant-time equality for secrets, bindings and MACs. */
bool ss_ct_equal(const void *a, const void *b, size_t n);
void ss_wipe(void *p, size_t n);

#endif
