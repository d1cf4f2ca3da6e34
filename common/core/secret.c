#include "ss/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ss/io.h"
#include "ss/state.h"

int ss_secret_alloc(ss_secret *s, size_t len, ss_err *err)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t maplen = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	void *p;

	if (!maplen)
		maplen = (size_t)page;
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ss_err_errno(err, SS_EIO, "allocate secret memory");
	/* Best effort: an unprivileged RLIMIT_MEMLOCK may refuse; the memory
	 * is still wiped and kept out of core dumps. */
	(void)mlock(p, maplen);
	(void)madvise(p, maplen, MADV_DONTDUMP);
	s->p = p;
	s->len = len;
	s->maplen = maplen;
	return SS_OK;
}

void ss_secret_free(ss_secret *s)
{
	if (s->maplen) {
		OPENSSL_cleanse(s->p, s->maplen);
		munlock(s->p, s->maplen);
		munmap(s->p, s->maplen);
	}
	s->p = NULL;
	s->len = s->maplen = 0;
}

void ss_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

bool ss_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* Read min..max bytes.  hint is the size the file is expected to have (a
 * regular file's): the locked buffer starts at that, in whole pages, rather
 * than at max, and grows if the file does. */
static int read_exact(int fd, const char *name, size_t min, size_t max, size_t hint,
		      ss_secret *out, ss_err *err)
{
	size_t got = 0, cap;
	int rc;

	/* One byte of room beyond max tells "too long" from "exactly max". */
	if ((rc = ss_secret_alloc(out, (hint < max ? hint : max) + 1, err)))
		return rc;
	for (;;) {
		cap = out->maplen < max + 1 ? out->maplen : max + 1;
		if (got == cap) {
			ss_secret bigger;
			if ((rc = ss_secret_alloc(&bigger, max + 1, err)))
				goto fail;
			memcpy(bigger.p, out->p, got);
			ss_secret_free(out);
			*out = bigger;
			cap = max + 1;
		}
		ssize_t n = read(fd, out->p + got, cap - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ss_err_errno(err, SS_EIO, "read secret %s", name);
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			ss_err_set(err, SS_EINPUT, "secret %s is longer than %zu bytes", name, max);
			goto fail;
		}
	}
	if (got < min) {
		ss_err_set(err, SS_EINPUT, "secret %s is %zu bytes, at least %zu are required",
			   name, got, min);
		goto fail;
	}
	out->len = got;
	return SS_OK;
fail:
	ss_secret_free(out);
	return err ? err->code : SS_EINPUT;
}

static int check_private(int fd, const char *name, ss_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ss_err_errno(err, SS_EIO, "stat secret %s", name);
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return ss_err_set(err, SS_EINPUT, "secret %s is not a regular file", name);
	if (S_ISREG(st.st_mode) && (st.st_mode & 077))
		return ss_err_set(err, SS_EINPUT,
				  "secret %s is accessible by group or others (mode %04o)", name,
				  (unsigned)(st.st_mode & 07777));
	return SS_OK;
}

int ss_secret_read_file(const char *path, size_t min, size_t max, ss_secret *out, ss_err *err)
{
	char name[4200];
	struct stat st = { 0 };
	int fd, rc;

	snprintf(name, sizeof name, "file '%s'", path);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return ss_err_set(err, SS_EINPUT, "secret %s is a symbolic link", name);
		return ss_err_errno(err, SS_EIO, "open secret %s", name);
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return ss_err_set(err, SS_EINPUT, "secret %s is not a regular file", name);
	}
	rc = check_private(fd, name, err);
	if (!rc)
		rc = read_exact(fd, name, min, max, (size_t)st.st_size, out, err);
	close(fd);
	return rc;
}

int ss_secret_read_fd(int fd, size_t min, size_t max, ss_secret *out, ss_err *err)
{
	char name[32];
	int rc;

	snprintf(name, sizeof name, "descriptor %d", fd);
	rc = check_private(fd, name, err);
	if (!rc)
		rc = read_exact(fd, name, min, max, 0, out, err);
	close(fd);
	return rc;
}

int ss_secret_src_read(const ss_secret_src *src, const char *what, size_t min, size_t max,
		       ss_secret *out, ss_err *err)
{
	int rc;

	if (src->file)
		rc = ss_secret_read_file(src->file, min, max, out, err);
	else if (src->fd >= 0)
		rc = ss_secret_read_fd(src->fd, min, max, out, err);
	else
		return SS_OK;
	if (rc && what)
		ss_err_prefix(err, "%s", what);
	return rc;
}

int ss_secret_out_path(const char *path, ss_err *err)
{
	/* Everywhere else "-" is standard input or output: a secret never
	 * goes there, and a file named "-" is never what was meant. */
	if (strcmp(path, "-") == 0)
		return ss_err_set(err, SS_EUSAGE, "secret output '-': a secret never goes to "
				  "standard output (give a file name)");
	return SS_OK;
}

int ss_secret_write_file(const char *path, const void *p, size_t n, ss_err *err)
{
	int rc = ss_secret_out_path(path, err);

	return rc ? rc : ss_file_create(path, p, n, 0600, err);
}

int ss_secret_write_file_ex(const char *path, const void *p, size_t n, unsigned sync,
			    ss_err *err)
{
	int rc = ss_secret_out_path(path, err);

	return rc ? rc : ss_file_create_ex(path, p, n, 0600, sync | SS_SYNC_DATA, err);
}

int ss_secret_dir(const char *path, ss_err *err)
{
	int rc = ss_secret_out_path(path, err);

	return rc ? rc : ss_private_dir(path, err);
}

int ss_secret_check_fd(int fd, ss_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ss_err_errno(err, SS_EIO, "stat secret descriptor %d", fd);
	/* A pipe or a socket has no other reader than the one at its end; a
	 * file is read by whoever its mode lets in. */
	if (S_ISREG(st.st_mode) && (st.st_mode & 077))
		return ss_err_set(err, SS_EINPUT,
				  "secret descriptor %d is a file that group or others can read "
				  "(mode %04o)", fd, (unsigned)(st.st_mode & 07777));
	return SS_OK;
}

int ss_secret_write_fd(int fd, const void *p, size_t n, ss_err *err)
{
	int rc = ss_secret_check_fd(fd, err);

	if (rc) {
		close(fd);
		return rc;
	}
	rc = ss_write_all(fd, p, n, err);

	if (rc)
		ss_err_prefix(err, "secret descriptor %d", fd);
	if (close(fd) < 0 && !rc)
		rc = ss_err_errno(err, SS_EIO, "close secret descriptor %d", fd);
	return rc;
}
