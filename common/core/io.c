#include "ss/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sys/random.h>

#include "ss/enc.h"

int ss_read_fd(int fd, const char *name, size_t cap, ss_buf *out, ss_err *err)
{
	struct stat sb;

	/* A regular file gets a buffer of its size and a byte more, to see its
	 * end without growing: 128 KiB for a small document was more memory to
	 * fault in, and to wipe, than all the rest of the reading. */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 0 &&
	    (uintmax_t)sb.st_size < cap)
		ss_buf_reserve(out, (size_t)sb.st_size + 1);
	for (;;) {
		ssize_t n;

		if (out->len + 1 >= out->cap)
			ss_buf_reserve(out, 65536);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ss_err_errno(err, SS_EIO, "read %s", name);
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = 0;
		if (out->len > cap)
			return ss_err_set(err, SS_EINPUT, "read %s: larger than %zu bytes", name, cap);
	}
	return SS_OK;
}

int ss_read_path(const char *path, size_t cap, ss_buf *out, ss_err *err)
{
	char name[PATH_MAX + 2];
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return ss_read_fd(0, "standard input", cap, out, err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "open '%s'", path);
	snprintf(name, sizeof name, "'%s'", path);
	rc = ss_read_fd(fd, name, cap, out, err);
	close(fd);
	return rc;
}

int ss_write_all(int fd, const void *p, size_t n, ss_err *err)
{
	const unsigned char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ss_err_errno(err, SS_EIO, "write");
		}
		c += w;
		n -= (size_t)w;
	}
	return SS_OK;
}

static ss_buf stdout_buf = SS_BUF_INIT;
static bool stdout_gone;
#define STDOUT_CHUNK (256 * 1024)

int ss_stdout_flush(ss_err *err)
{
	const unsigned char *p = stdout_buf.data;
	size_t n = stdout_buf.len;
	int rc = SS_OK;

	while (n && !stdout_gone) {
		ssize_t w = write(1, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EPIPE) {
			/* The reader stopped reading: nothing more is wanted
			 * (SIGPIPE is ignored, ss/prog.h). */
			stdout_gone = true;
			break;
		}
		if (w < 0) {
			rc = ss_err_errno(err, SS_EIO, "standard output: write");
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	ss_buf_reset(&stdout_buf);
	return rc;
}

bool ss_stdout_gone(void)
{
	return stdout_gone;
}

int ss_stdout_write(const void *p, size_t n, ss_err *err)
{
	if (stdout_gone)
		return SS_OK;
	ss_buf_add(&stdout_buf, p, n);
	if (stdout_buf.len >= STDOUT_CHUNK)
		return ss_stdout_flush(err);
	return SS_OK;
}

void ss_stdout_discard(void)
{
	ss_buf_reset(&stdout_buf);
}

void ss_dirname(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, outlen, ".");
	else if (slash == path)
		snprintf(out, outlen, "/");
	else
		snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

int ss_fsync_dir(const char *dir, ss_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "open directory '%s'", dir);
	if (fsync(fd) < 0 && errno != EINVAL) {
		ss_err_errno(err, SS_EIO, "fsync directory '%s'", dir);
		close(fd);
		return SS_EIO;
	}
	close(fd);
	return SS_OK;
}

int ss_temp_name(const char *name, char *tmp, size_t tmplen, ss_err *err)
{
	unsigned char rnd[8];
	char hex[17];

	/* Not a secret, only unlikely to collide: the kernel's generator,
	 * without waking OpenSSL's DRBG in tools that need no other randomness. */
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return ss_err_errno(err, SS_EIO, "random temporary name");
	ss_hex_encode(rnd, sizeof rnd, hex);
	if ((size_t)snprintf(tmp, tmplen, "%s.tmp-%s", name, hex) >= tmplen)
		return ss_err_set(err, SS_EIO, "'%s': path too long", name);
	return SS_OK;
}

/* Create "<name>.tmp-<random>" in dirfd exclusively and fill it (fsynced
 * when sync_data).  shown is how messages call name. */
static int write_temp(int dirfd, const char *name, const char *shown, const void *p, size_t n,
		      mode_t mode, bool sync_data, char *tmp, size_t tmplen, ss_err *err)
{
	const char *suffix;
	int fd, rc;

	if ((rc = ss_temp_name(name, tmp, tmplen, err)))
		return rc;
	suffix = tmp + strlen(name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "create '%s%s'", shown, suffix);
	if (fchmod(fd, mode) < 0) {
		ss_err_errno(err, SS_EIO, "chmod '%s%s'", shown, suffix);
		goto fail;
	}
	if (ss_write_all(fd, p, n, err)) {
		ss_err_prefix(err, "'%s%s'", shown, suffix);
		goto fail;
	}
	if (sync_data && fsync(fd) < 0) {
		ss_err_errno(err, SS_EIO, "fsync '%s%s'", shown, suffix);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		ss_err_errno(err, SS_EIO, "close '%s%s'", shown, suffix);
		goto fail;
	}
	return SS_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return SS_EIO;
}

/* fsync the directory holding name: dirfd itself, or name's directory
 * when names are paths (AT_FDCWD). */
static int sync_dir_of(int dirfd, const char *name, const char *shown, ss_err *err)
{
	char dir[PATH_MAX];

	if (dirfd != AT_FDCWD) {
		if (fsync(dirfd) < 0 && errno != EINVAL)
			return ss_err_errno(err, SS_EIO, "fsync the directory of '%s'", shown);
		return SS_OK;
	}
	ss_dirname(name, dir, sizeof dir);
	return ss_fsync_dir(dir, err);
}

int ss_file_replace_at(int dirfd, const char *name, const char *shown, const void *p, size_t n,
		       mode_t mode, unsigned sync, ss_err *err)
{
	char tmp[PATH_MAX];
	int rc;

	if ((rc = write_temp(dirfd, name, shown, p, n, mode, sync & SS_SYNC_DATA, tmp, sizeof tmp,
			     err)))
		return rc;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		ss_err_errno(err, SS_EIO, "rename '%s'", shown);
		unlinkat(dirfd, tmp, 0);
		return SS_EIO;
	}
	if (!(sync & SS_SYNC_DIR))
		return SS_OK;
	return sync_dir_of(dirfd, name, shown, err);
}

int ss_file_replace_ex(const char *path, const void *p, size_t n, mode_t mode, unsigned sync,
		       ss_err *err)
{
	return ss_file_replace_at(AT_FDCWD, path, path, p, n, mode, sync, err);
}

int ss_file_replace(const char *path, const void *p, size_t n, mode_t mode, ss_err *err)
{
	return ss_file_replace_ex(path, p, n, mode, SS_SYNC_ALL, err);
}

int ss_file_create_at(int dirfd, const char *name, const char *shown, const void *p, size_t n,
		      mode_t mode, unsigned sync, ss_err *err)
{
	char tmp[PATH_MAX];
	struct stat st;
	int rc;

	/* Checked first so that an existing file is reported without creating
	 * anything; linkat() below is what makes the check race-free. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return ss_err_set(err, SS_EIO, "'%s' already exists", shown);
	if ((rc = write_temp(dirfd, name, shown, p, n, mode, sync & SS_SYNC_DATA, tmp, sizeof tmp,
			     err)))
		return rc;
	if (linkat(dirfd, tmp, dirfd, name, 0) < 0) {
		if (errno == EEXIST)
			ss_err_set(err, SS_EIO, "'%s' already exists", shown);
		else
			ss_err_errno(err, SS_EIO, "create '%s'", shown);
		unlinkat(dirfd, tmp, 0);
		return SS_EIO;
	}
	unlinkat(dirfd, tmp, 0);
	if (!(sync & SS_SYNC_DIR))
		return SS_OK;
	return sync_dir_of(dirfd, name, shown, err);
}

int ss_file_create_ex(const char *path, const void *p, size_t n, mode_t mode, unsigned sync,
		      ss_err *err)
{
	return ss_file_create_at(AT_FDCWD, path, path, p, n, mode, sync, err);
}

int ss_file_create(const char *path, const void *p, size_t n, mode_t mode, ss_err *err)
{
	return ss_file_create_ex(path, p, n, mode, SS_SYNC_ALL, err);
}

int ss_syncfs_fd(int fd, const char *shown, ss_err *err)
{
	if (syncfs(fd) < 0)
		return ss_err_errno(err, SS_EIO, "sync the filesystem of '%s'", shown);
	return SS_OK;
}

int ss_syncfs(const char *path, ss_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "open '%s'", path);
	if (syncfs(fd) < 0) {
		ss_err_errno(err, SS_EIO, "sync the filesystem of '%s'", path);
		close(fd);
		return SS_EIO;
	}
	close(fd);
	return SS_OK;
}

void ss_lines_init(ss_lines *r, int fd, const char *name, size_t max_line)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = name;
	r->max_line = max_line;
}

/* Nothing to read right now (a pipe or terminal whose writer is slow). */
static bool would_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	return n == 0;
}

int ss_lines_next(ss_lines *r, const char **line, size_t *len, ss_err *err)
{
	*line = NULL;
	*len = 0;
	for (;;) {
		/* An empty buffer has no data pointer, and NULL + 0 is undefined. */
		unsigned char *base = r->buf.data ? r->buf.data + r->start : NULL;
		size_t avail = r->buf.len - r->start;
		unsigned char *nl = avail ? memchr(base, '\n', avail) : NULL;
		ssize_t n;

		if (nl || (r->eof && avail)) {
			size_t l = nl ? (size_t)(nl - base) : avail;
			r->lineno++;
			if (l > r->max_line)
				return ss_err_set(err, SS_EINPUT, "line %zu: longer than %zu bytes",
						  r->lineno, r->max_line);
			*line = (const char *)base;
			*len = l;
			base[l] = 0; /* '\n' (or the buffer's terminator) becomes NUL */
			r->start += nl ? l + 1 : l;
			return SS_OK;
		}
		if (r->eof)
			return SS_OK;
		if (avail > r->max_line)
			return ss_err_set(err, SS_EINPUT, "line %zu: longer than %zu bytes",
					  r->lineno + 1, r->max_line);
		/* Move the partial line to the front, then read more. */
		if (r->start) {
			memmove(r->buf.data, base, avail);
			r->buf.len = avail;
			r->start = 0;
		}
		ss_buf_reserve(&r->buf, 1 << 18);
		do
			n = read(r->fd, r->buf.data + r->buf.len, r->buf.cap - r->buf.len - 1);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return ss_err_errno(err, SS_EIO, "read %s", r->name);
		if (n == 0)
			r->eof = true;
		r->buf.len += (size_t)n;
		r->buf.data[r->buf.len] = 0;
	}
}

/* What ss_lines_take reads at a time: the bytes after its last line are
 * copied once to start the next take, so a read is kept short of a chunk. */
#define TAKE_READ ((size_t)1 << 18)

/* Read once more into r->buf, behind what is there (nothing is moved: the
 * lines taken so far stay where they are). */
static int read_more(ss_lines *r, ss_err *err)
{
	ssize_t n;

	ss_buf_reserve(&r->buf, TAKE_READ);
	do
		n = read(r->fd, r->buf.data + r->buf.len, TAKE_READ);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ss_err_errno(err, SS_EIO, "read %s", r->name);
	if (n == 0)
		r->eof = true;
	r->buf.len += (size_t)n;
	r->buf.data[r->buf.len] = 0;
	return SS_OK;
}

int ss_lines_take(ss_lines *r, ss_buf *text, size_t *start, size_t *len, size_t max_lines,
		  size_t max_bytes, size_t wait_lines, bool *waiting, size_t *n, ss_err *err)
{
	size_t first = r->start, rest;
	int rc = SS_OK;

	*n = 0;
	*waiting = false;
	/* Room for all of it at once: a buffer grown by doubling is copied and
	 * faulted in anew each time.  Only what is read into it is touched. */
	ss_buf_reserve(&r->buf, max_bytes + TAKE_READ);
	while (*n < max_lines && r->start - first < max_bytes) {
		unsigned char *base = r->buf.data + r->start;
		size_t avail = r->buf.len - r->start;
		unsigned char *nl = avail ? memchr(base, '\n', avail) : NULL;
		size_t l;

		if (!nl && !(r->eof && avail)) {
			if (r->eof)
				break;
			if (avail > r->max_line) {
				rc = ss_err_set(err, SS_EINPUT, "line %zu: longer than %zu bytes",
						r->lineno + 1, r->max_line);
				break;
			}
			if (*n >= wait_lines && would_wait(r->fd)) {
				*waiting = true;
				break;
			}
			if ((rc = read_more(r, err)))
				break;
			continue;
		}
		l = nl ? (size_t)(nl - base) : avail;
		r->lineno++;
		if (l > r->max_line) {
			rc = ss_err_set(err, SS_EINPUT, "line %zu: longer than %zu bytes", r->lineno,
					r->max_line);
			break;
		}
		base[l] = 0; /* '\n' (or the buffer's terminator) becomes NUL */
		start[*n] = r->start;
		len[*n] = l;
		(*n)++;
		r->start += nl ? l + 1 : l;
	}
	if (!*n)
		return rc;
	/* The lines go with the buffer they are in; what follows them starts
	 * the reader's next buffer, text's old one. */
	rest = r->buf.len - r->start;
	ss_buf_reset(text);
	ss_buf_add(text, r->buf.data + r->start, rest);
	{
		ss_buf lines = r->buf;
		r->buf = *text;
		*text = lines;
	}
	text->len = r->start;
	text->data[text->len] = 0;
	r->start = 0;
	return rc;
}

bool ss_lines_done(const ss_lines *r)
{
	return r->eof && r->start >= r->buf.len;
}

void ss_lines_free(ss_lines *r)
{
	ss_buf_free(&r->buf);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void ss_progress_start(ss_progress *p, const char *label)
{
	memset(p, 0, sizeof *p);
	p->on = isatty(2) == 1;
	p->label = label;
	p->start = p->last = now();
}

static void progress_draw(ss_progress *p, double t, const char *end)
{
	double dt = t - p->start;

	fprintf(stderr, "\r%s: %s: %llu done (%.0f/s)%s", ss_prog, p->label, p->count,
		dt > 0 ? (double)p->count / dt : 0.0, end);
}

void ss_progress_add(ss_progress *p, unsigned long long n)
{
	double t;

	p->count += n;
	if (!p->on || (p->count & 1023) >= n)
		return; /* look at the clock only every ~1024 items */
	t = now();
	if (t - p->last >= 0.25) {
		p->last = t;
		progress_draw(p, t, "");
	}
}

void ss_progress_end(ss_progress *p)
{
	if (p->on && p->last > p->start)
		progress_draw(p, now(), "\n");
}
