#include "ss/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss/io.h"
#include "ss/json.h"
#include "ss/state.h"

bool ss_store_valid_key(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > 200 || key[0] == '.')
		return false;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == ':' || *p == '-'))
			return false;
	return true;
}

int ss_store_open(ss_store *st, const char *state_opt, ss_err *err)
{
	int rc;

	st->dirfd = st->lock_fd = -1;
	st->open = st->group = st->dirty = false;
	if ((rc = ss_state_open(state_opt, st->dir, sizeof st->dir, &st->dirfd, err)))
		return rc;
	st->open = true;
	return SS_OK;
}

void ss_store_close(ss_store *st)
{
	if (!st->open)
		return;
	/* A group nobody committed (an error path): flush it anyway, so the
	 * state is not left to chance; nothing was reported from it. */
	if (st->group && st->dirty)
		(void)ss_syncfs_fd(st->dirfd, st->dir, NULL);
	st->group = st->dirty = false;
	ss_store_unlock(st);
	close(st->dirfd);
	st->dirfd = -1;
	st->open = false;
}

void ss_store_begin(ss_store *st)
{
	st->group = true;
	st->dirty = false;
}

int ss_store_commit(ss_store *st, const char *also, ss_err *err)
{
	struct stat a, b;
	char dir[PATH_MAX];
	int rc = SS_OK;

	if (st->dirty)
		rc = ss_syncfs_fd(st->dirfd, st->dir, err);
	if (!rc && also) {
		ss_dirname(also, dir, sizeof dir);
		/* Another filesystem (or nothing of ours written): sync that one too. */
		if (!st->dirty || stat(dir, &a) < 0 || fstat(st->dirfd, &b) < 0 || a.st_dev != b.st_dev)
			rc = ss_syncfs(dir, err);
	}
	st->group = st->dirty = false;
	return rc;
}

static unsigned sync_bits(ss_store *st)
{
	if (st->group) {
		st->dirty = true;
		return 0;
	}
	return SS_SYNC_ALL;
}

/* A record's place: its kind's directory, opened relative to the state
 * directory without following a link, and the names messages show. */
struct place {
	int fd;                  /* the kind's directory; -1 when it does not exist */
	const char *key;
	char shown[PATH_MAX];    /* <state>/<kind>/<key> */
};

static void place_close(struct place *pl)
{
	if (pl->fd >= 0)
		close(pl->fd);
	pl->fd = -1;
}

static int kind_open(ss_store *st, const char *kind, bool create, int *fd, ss_err *err)
{
	*fd = -1;
	if (!st->open)
		return ss_err_set(err, SS_EIO, "store: not open");
	if (!ss_store_valid_key(kind))
		return ss_err_set(err, SS_EIO, "store: bad kind '%s'", kind);
	if (create && mkdirat(st->dirfd, kind, 0700) < 0 && errno != EEXIST)
		return ss_err_errno(err, SS_EIO, "create directory '%s/%s'", st->dir, kind);
	*fd = openat(st->dirfd, kind, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0) {
		if (errno == ENOENT && !create)
			return SS_OK;
		return ss_err_errno(err, SS_EIO, "open directory '%s/%s'", st->dir, kind);
	}
	return SS_OK;
}

/* kind NULL: a file at the top of the state directory (audit.head). */
static int place_open(ss_store *st, const char *kind, const char *key, bool create,
		      struct place *pl, ss_err *err)
{
	pl->fd = -1;
	pl->key = key;
	if (!ss_store_valid_key(key))
		return ss_err_set(err, SS_EINPUT, "store: '%.64s' is not a valid record key", key);
	if ((size_t)snprintf(pl->shown, sizeof pl->shown, "%s/%s%s%s", st->dir, kind ? kind : "",
			     kind ? "/" : "", key) >= sizeof pl->shown)
		return ss_err_set(err, SS_EIO, "store: path too long");
	if (kind)
		return kind_open(st, kind, create, &pl->fd, err);
	if (!st->open)
		return ss_err_set(err, SS_EIO, "store: not open");
	if ((pl->fd = fcntl(st->dirfd, F_DUPFD_CLOEXEC, 3)) < 0)
		return ss_err_errno(err, SS_EIO, "open directory '%s'", st->dir);
	return SS_OK;
}

int ss_store_put(ss_store *st, const char *kind, const char *key, const void *p, size_t n,
		 bool exclusive, ss_err *err)
{
	struct place pl;
	int rc;

	if (!(rc = place_open(st, kind, key, true, &pl, err)))
		rc = exclusive ? ss_file_create_at(pl.fd, key, pl.shown, p, n, 0600, sync_bits(st), err)
			       : ss_file_replace_at(pl.fd, key, pl.shown, p, n, 0600, sync_bits(st),
						    err);
	place_close(&pl);
	return rc;
}

int ss_store_put_new(ss_store *st, const char *kind, const char *key, const void *p, size_t n,
		     bool *created, ss_err *err)
{
	struct place pl;
	ss_err local = { 0 };
	struct stat sb;
	int rc;

	*created = false;
	if ((rc = place_open(st, kind, key, true, &pl, err)))
		goto out;
	rc = ss_file_create_at(pl.fd, key, pl.shown, p, n, 0600, sync_bits(st), &local);
	if (rc == SS_OK)
		*created = true;
	else if (fstatat(pl.fd, key, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		rc = SS_OK; /* it exists: someone else created it */
	else
		*err = local;
out:
	place_close(&pl);
	return rc;
}

int ss_store_get(ss_store *st, const char *kind, const char *key, ss_buf *out, bool *found,
		 ss_err *err)
{
	struct place pl;
	int fd, rc;

	*found = false;
	if ((rc = place_open(st, kind, key, false, &pl, err)) || pl.fd < 0)
		goto out;
	fd = openat(pl.fd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			rc = ss_err_errno(err, SS_EIO, "open '%s'", pl.shown);
		goto out;
	}
	*found = true;
	rc = ss_read_fd(fd, pl.shown, SS_JSON_MAX_SIZE, out, err);
	close(fd);
out:
	place_close(&pl);
	return rc;
}

int ss_store_get_json(ss_store *st, const char *kind, const char *key, cJSON **out,
		      bool *found, ss_err *err)
{
	ss_buf b = SS_BUF_INIT;
	int rc = ss_store_get(st, kind, key, &b, found, err);

	*out = NULL;
	if (!rc && *found && (rc = ss_json_parse((const char *)b.data, b.len, out, err)))
		ss_err_prefix(err, "store record %s/%s", kind, key);
	/* Records can be secret-equivalent (expected proofs): no stale copy. */
	ss_buf_wipe_free(&b);
	return rc;
}

bool ss_store_exists(ss_store *st, const char *kind, const char *key)
{
	struct place pl;
	struct stat sb;
	bool yes;

	if (place_open(st, kind, key, false, &pl, NULL) || pl.fd < 0)
		return false;
	yes = fstatat(pl.fd, key, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	place_close(&pl);
	return yes;
}

static int sync_kind(int fd, const char *shown, ss_err *err)
{
	if (fsync(fd) < 0 && errno != EINVAL)
		return ss_err_errno(err, SS_EIO, "fsync the directory of '%s'", shown);
	return SS_OK;
}

int ss_store_remove(ss_store *st, const char *kind, const char *key, bool *found, ss_err *err)
{
	struct place pl;
	int rc;

	*found = false;
	if ((rc = place_open(st, kind, key, false, &pl, err)) || pl.fd < 0)
		goto out;
	if (unlinkat(pl.fd, key, 0) < 0) {
		if (errno != ENOENT)
			rc = ss_err_errno(err, SS_EIO, "remove '%s'", pl.shown);
		goto out;
	}
	*found = true;
	if (sync_bits(st) & SS_SYNC_DIR)
		rc = sync_kind(pl.fd, pl.shown, err);
out:
	place_close(&pl);
	return rc;
}

int ss_store_move(ss_store *st, const char *kind_from, const char *kind_to, const char *key,
		  bool *moved, ss_err *err)
{
	struct place from, to;
	int rc;

	*moved = false;
	to.fd = -1;
	if ((rc = place_open(st, kind_from, key, true, &from, err)) ||
	    (rc = place_open(st, kind_to, key, true, &to, err)))
		goto out;
	/* RENAME_NOREPLACE: the destination is never overwritten, so a record
	 * consumed once stays consumed even if its source reappears. */
	if (renameat2(from.fd, key, to.fd, key, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			/* Consumed before: drop the stray source so it is not
			 * mistaken for a live record. */
			unlinkat(from.fd, key, 0);
		else if (errno != ENOENT)
			rc = ss_err_errno(err, SS_EIO, "move '%s'", from.shown);
		goto out;
	}
	*moved = true;
	if ((sync_bits(st) & SS_SYNC_DIR) && !(rc = sync_kind(to.fd, to.shown, err)))
		rc = sync_kind(from.fd, from.shown, err);
out:
	place_close(&from);
	place_close(&to);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ss_store_keys(ss_store *st, const char *kind, char ***keys, size_t *n, ss_err *err)
{
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int fd, rc;

	*keys = NULL;
	*n = 0;
	if ((rc = kind_open(st, kind, false, &fd, err)) || fd < 0)
		return rc;
	d = fdopendir(fd);
	if (!d) {
		rc = ss_err_errno(err, SS_EIO, "open directory '%s/%s'", st->dir, kind);
		close(fd);
		return rc;
	}
	while ((e = readdir(d))) {
		/* Temporary files of atomic writes contain ".tmp-". */
		if (!ss_store_valid_key(e->d_name) || strstr(e->d_name, ".tmp-"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*keys = ss_xrealloc(*keys, cap * sizeof **keys);
		}
		(*keys)[(*n)++] = ss_xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*keys, *n, sizeof **keys, cmp_str);
	return SS_OK;
}

/* The temporary files of one kind directory (fd) older than before. */
/* Remove the old temporary files of one directory: a kind's, or with kind
 * NULL the state directory's own (audit.head is written there). */
static int sweep_dir(ss_store *st, const char *kind, int fd, int64_t before, size_t *removed,
		     ss_err *err)
{
	struct dirent *e;
	struct stat sb;
	DIR *d = fdopendir(fd);
	const char *sep = kind ? "/" : "";
	int rc = SS_OK;

	if (!kind)
		kind = "";
	if (!d) {
		rc = ss_err_errno(err, SS_EIO, "open directory '%s%s%s'", st->dir, sep, kind);
		close(fd);
		return rc;
	}
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".tmp-") ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode) || sb.st_mtime >= before)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0) {
			rc = ss_err_errno(err, SS_EIO, "remove '%s%s%s/%s'", st->dir, sep, kind,
					  e->d_name);
			break;
		}
		++*removed;
		st->dirty = true;
	}
	if (!rc && *removed && !st->group && fsync(dirfd(d)) < 0)
		rc = ss_err_errno(err, SS_EIO, "fsync directory '%s%s%s'", st->dir, sep, kind);
	closedir(d);
	return rc;
}

int ss_store_sweep(ss_store *st, int64_t before, size_t *removed, ss_err *err)
{
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int fd, rc = SS_OK;

	*removed = 0;
	if (!st->open)
		return ss_err_set(err, SS_EIO, "store: not open");
	fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "open directory '%s'", st->dir);
	if ((rc = sweep_dir(st, NULL, fd, before, removed, err)))
		return rc;
	fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		rc = ss_err_errno(err, SS_EIO, "open directory '%s'", st->dir);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while (!rc && (e = readdir(d))) {
		int kfd;
		if (!ss_store_valid_key(e->d_name) ||
		    fstatat(st->dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (!(rc = kind_open(st, e->d_name, false, &kfd, err)) && kfd >= 0)
			rc = sweep_dir(st, e->d_name, kfd, before, removed, err);
	}
	closedir(d);
	return rc;
}

void ss_store_keys_free(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

int ss_store_lock(ss_store *st, ss_err *err)
{
	if (st->lock_fd >= 0)
		return SS_OK;
	if (!st->open)
		return ss_err_set(err, SS_EIO, "store: not open");
	st->lock_fd = openat(st->dirfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lock_fd < 0)
		return ss_err_errno(err, SS_EIO, "open '%s/.lock'", st->dir);
	while (flock(st->lock_fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		ss_err_errno(err, SS_EIO, "lock '%s/.lock'", st->dir);
		close(st->lock_fd);
		st->lock_fd = -1;
		return SS_EIO;
	}
	return SS_OK;
}

void ss_store_unlock(ss_store *st)
{
	if (st->lock_fd >= 0) {
		flock(st->lock_fd, LOCK_UN);
		close(st->lock_fd);
		st->lock_fd = -1;
	}
}

/* The audit log, opened relative to the state directory without following
 * a link. */
static int audit_open(ss_store *st, int flags, int *fd, ss_err *err)
{
	if (!st->open)
		return ss_err_set(err, SS_EIO, "store: not open");
	*fd = openat(st->dirfd, SS_STORE_AUDIT_LOG, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0 && !(errno == ENOENT && !(flags & O_CREAT)))
		return ss_err_errno(err, SS_EIO, "open audit log '%s/%s'", st->dir,
				    SS_STORE_AUDIT_LOG);
	return SS_OK;
}

/* The tail is found within this many bytes first, then within a whole
 * line's cap. */
#define TAIL_FIRST 4096

int ss_store_audit_tail(ss_store *st, uint64_t *size, ss_buf *last, ss_err *err)
{
	struct stat sb;
	size_t want = TAIL_FIRST, got, start;
	ssize_t n;
	int fd, rc;

	*size = 0;
	ss_buf_reset(last);
	if ((rc = audit_open(st, O_RDONLY, &fd, err)) || fd < 0)
		return rc;
	if (fstat(fd, &sb) < 0) {
		rc = ss_err_errno(err, SS_EIO, "stat audit log '%s/%s'", st->dir, SS_STORE_AUDIT_LOG);
		goto out;
	}
	*size = (uint64_t)sb.st_size;
	for (;;) {
		got = *size < want ? (size_t)*size : want;
		ss_buf_reset(last);
		ss_buf_reserve(last, got + 1);
		do
			n = pread(fd, last->data, got, (off_t)(*size - got));
		while (n < 0 && errno == EINTR);
		if (n < 0 || (size_t)n != got) {
			rc = n < 0 ? ss_err_errno(err, SS_EIO, "read audit log '%s/%s'", st->dir,
						  SS_STORE_AUDIT_LOG)
				   : ss_err_set(err, SS_EIO, "read audit log '%s/%s': it changed",
						st->dir, SS_STORE_AUDIT_LOG);
			goto out;
		}
		/* The last line starts after the last '\n' but its own. */
		start = got && last->data[got - 1] == '\n' ? got - 1 : got;
		while (start > 0 && last->data[start - 1] != '\n')
			start--;
		if (start > 0 || got == *size)
			break;
		if (want >= SS_JSON_MAX_SIZE + 1) {
			rc = ss_err_set(err, SS_EIO, "audit log '%s/%s': its last line is longer than %zu "
					"bytes", st->dir, SS_STORE_AUDIT_LOG, (size_t)SS_JSON_MAX_SIZE);
			goto out;
		}
		want = SS_JSON_MAX_SIZE + 1;
	}
	memmove(last->data, last->data + start, got - start);
	last->len = got - start;
	last->data[last->len] = 0;
out:
	close(fd);
	return rc;
}

int ss_store_audit_open(ss_store *st, int *fd, uint64_t *size, ss_err *err)
{
	struct stat sb;
	int rc;

	*size = 0;
	if ((rc = audit_open(st, O_RDONLY, fd, err)) || *fd < 0)
		return rc;
	if (fstat(*fd, &sb) < 0) {
		rc = ss_err_errno(err, SS_EIO, "stat audit log '%s/%s'", st->dir, SS_STORE_AUDIT_LOG);
		close(*fd);
		*fd = -1;
		return rc;
	}
	*size = (uint64_t)sb.st_size;
	return SS_OK;
}

int ss_store_audit(ss_store *st, const void *line, size_t n, ss_err *err)
{
	int fd, rc;

	/* Each line links to the one before it: no two writers may append
	 * between one's read of the tail and its write. */
	if (st->lock_fd < 0)
		return ss_err_set(err, SS_EIO, "store: audit log written without the lock");
	if ((rc = audit_open(st, O_WRONLY | O_CREAT | O_APPEND, &fd, err)))
		return rc;
	rc = ss_write_all(fd, line, n, err);
	if (!rc && (sync_bits(st) & SS_SYNC_DATA) && fsync(fd) < 0)
		rc = ss_err_errno(err, SS_EIO, "fsync audit log '%s/%s'", st->dir, SS_STORE_AUDIT_LOG);
	else if (rc)
		ss_err_prefix(err, "audit log '%s/%s'", st->dir, SS_STORE_AUDIT_LOG);
	close(fd);
	return rc;
}
