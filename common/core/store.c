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
	st->lock_fd = -1;
	st->group = st->dirty = false;
	return ss_state_open(state_opt, st->dir, sizeof st->dir, err);
}

void ss_store_close(ss_store *st)
{
	/* A group nobody committed (an error path): flush it anyway, so the
	 * state is not left to chance; nothing was reported from it. */
	if (st->group && st->dirty)
		(void)ss_syncfs(st->dir, NULL);
	st->group = st->dirty = false;
	ss_store_unlock(st);
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
		rc = ss_syncfs(st->dir, err);
	if (!rc && also) {
		ss_dirname(also, dir, sizeof dir);
		/* Another filesystem (or nothing of ours written): sync that one too. */
		if (!st->dirty || stat(dir, &a) < 0 || stat(st->dir, &b) < 0 || a.st_dev != b.st_dev)
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

static int kind_dir(ss_store *st, const char *kind, char *out, size_t outlen, bool create,
		    ss_err *err)
{
	if (!ss_store_valid_key(kind))
		return ss_err_set(err, SS_EIO, "store: bad kind '%s'", kind);
	if ((size_t)snprintf(out, outlen, "%s/%s", st->dir, kind) >= outlen)
		return ss_err_set(err, SS_EIO, "store: path too long");
	if (create && mkdir(out, 0700) < 0 && errno != EEXIST)
		return ss_err_errno(err, SS_EIO, "create directory '%s'", out);
	return SS_OK;
}

static int record_path(ss_store *st, const char *kind, const char *key, bool create, char *out,
		       size_t outlen, ss_err *err)
{
	char dir[PATH_MAX];
	int rc;

	if (!ss_store_valid_key(key))
		return ss_err_set(err, SS_EINPUT, "store: '%.64s' is not a valid record key", key);
	if ((rc = kind_dir(st, kind, dir, sizeof dir, create, err)))
		return rc;
	if ((size_t)snprintf(out, outlen, "%s/%s", dir, key) >= outlen)
		return ss_err_set(err, SS_EIO, "store: path too long");
	return SS_OK;
}

int ss_store_path(ss_store *st, const char *kind, const char *key, char *out, size_t outlen,
		  ss_err *err)
{
	return record_path(st, kind, key, true, out, outlen, err);
}

int ss_store_put(ss_store *st, const char *kind, const char *key, const void *p, size_t n,
		 bool exclusive, ss_err *err)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = record_path(st, kind, key, true, path, sizeof path, err)))
		return rc;
	return exclusive ? ss_file_create_ex(path, p, n, 0600, sync_bits(st), err)
			 : ss_file_replace_ex(path, p, n, 0600, sync_bits(st), err);
}

int ss_store_put_new(ss_store *st, const char *kind, const char *key, const void *p, size_t n,
		     bool *created, ss_err *err)
{
	char path[PATH_MAX];
	ss_err local = { 0 };
	struct stat sb;
	int rc;

	*created = false;
	if ((rc = record_path(st, kind, key, true, path, sizeof path, err)))
		return rc;
	rc = ss_file_create_ex(path, p, n, 0600, sync_bits(st), &local);
	if (rc == SS_OK) {
		*created = true;
		return SS_OK;
	}
	if (lstat(path, &sb) == 0)
		return SS_OK; /* it exists: someone else created it */
	*err = local;
	return rc;
}

int ss_store_get(ss_store *st, const char *kind, const char *key, ss_buf *out, bool *found,
		 ss_err *err)
{
	char path[PATH_MAX];
	int fd, rc;

	*found = false;
	if ((rc = record_path(st, kind, key, false, path, sizeof path, err)))
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return SS_OK;
		return ss_err_errno(err, SS_EIO, "open '%s'", path);
	}
	*found = true;
	rc = ss_read_fd(fd, path, SS_JSON_MAX_SIZE, out, err);
	close(fd);
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
	char path[PATH_MAX];
	struct stat sb;

	if (record_path(st, kind, key, false, path, sizeof path, NULL))
		return false;
	return lstat(path, &sb) == 0;
}

long long ss_store_mtime(ss_store *st, const char *kind, const char *key)
{
	char path[PATH_MAX];
	struct stat sb;

	if (record_path(st, kind, key, false, path, sizeof path, NULL) || lstat(path, &sb) < 0)
		return 0;
	return (long long)sb.st_mtime;
}

int ss_store_remove(ss_store *st, const char *kind, const char *key, bool *found, ss_err *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int rc;

	*found = false;
	if ((rc = record_path(st, kind, key, false, path, sizeof path, err)))
		return rc;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return SS_OK;
		return ss_err_errno(err, SS_EIO, "remove '%s'", path);
	}
	*found = true;
	if (!(sync_bits(st) & SS_SYNC_DIR))
		return SS_OK;
	ss_dirname(path, dir, sizeof dir);
	return ss_fsync_dir(dir, err);
}

int ss_store_move(ss_store *st, const char *kind_from, const char *kind_to, const char *key,
		  bool *moved, ss_err *err)
{
	char from[PATH_MAX], to[PATH_MAX], dir[PATH_MAX];
	int rc;

	*moved = false;
	if ((rc = ss_store_path(st, kind_from, key, from, sizeof from, err)) ||
	    (rc = ss_store_path(st, kind_to, key, to, sizeof to, err)))
		return rc;
	/* RENAME_NOREPLACE: the destination is never overwritten, so a record
	 * consumed once stays consumed even if its source reappears. */
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0) {
		if (errno == ENOENT)
			return SS_OK;
		if (errno == EEXIST) {
			/* Consumed before: drop the stray source so it is not
			 * mistaken for a live record. */
			unlink(from);
			return SS_OK;
		}
		return ss_err_errno(err, SS_EIO, "move '%s'", from);
	}
	*moved = true;
	if (!(sync_bits(st) & SS_SYNC_DIR))
		return SS_OK;
	ss_dirname(to, dir, sizeof dir);
	if ((rc = ss_fsync_dir(dir, err)))
		return rc;
	ss_dirname(from, dir, sizeof dir);
	return ss_fsync_dir(dir, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ss_store_keys(ss_store *st, const char *kind, char ***keys, size_t *n, ss_err *err)
{
	char dir[PATH_MAX];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int rc;

	*keys = NULL;
	*n = 0;
	if ((rc = kind_dir(st, kind, dir, sizeof dir, false, err)))
		return rc;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return SS_OK;
		return ss_err_errno(err, SS_EIO, "open directory '%s'", dir);
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

void ss_store_keys_free(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

int ss_store_lock(ss_store *st, ss_err *err)
{
	char path[PATH_MAX];

	if (st->lock_fd >= 0)
		return SS_OK;
	if ((size_t)snprintf(path, sizeof path, "%s/.lock", st->dir) >= sizeof path)
		return ss_err_set(err, SS_EIO, "store: path too long");
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lock_fd < 0)
		return ss_err_errno(err, SS_EIO, "open '%s'", path);
	while (flock(st->lock_fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		ss_err_errno(err, SS_EIO, "lock '%s'", path);
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

int ss_store_audit(ss_store *st, const cJSON *entry, ss_err *err)
{
	char path[PATH_MAX];
	ss_buf line = SS_BUF_INIT;
	int fd, rc;

	if ((size_t)snprintf(path, sizeof path, "%s/audit.jsonl", st->dir) >= sizeof path)
		return ss_err_set(err, SS_EIO, "store: path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "open audit log '%s'", path);
	ss_json_write(entry, &line);
	ss_buf_addc(&line, '\n');
	rc = ss_write_all(fd, line.data, line.len, err);
	if (!rc && (sync_bits(st) & SS_SYNC_DATA) && fsync(fd) < 0)
		rc = ss_err_errno(err, SS_EIO, "fsync audit log '%s'", path);
	else if (rc)
		ss_err_prefix(err, "audit log '%s'", path);
	close(fd);
	ss_buf_free(&line);
	return rc;
}
