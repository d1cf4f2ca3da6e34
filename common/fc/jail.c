#include "ss/jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 32

/* Remove name (in directory at) and, for a directory, all it holds; never
 * follows a symlink or leaves the filesystem dev. */
static int remove_at(int at, const char *name, dev_t dev, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (st.st_dev != dev || depth > MAX_DEPTH) {
		errno = EXDEV;
		return -1;
	}
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    remove_at(dirfd(d), e->d_name, dev, depth + 1) < 0)
			rc = -1;
	closedir(d);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int ss_jail_remove(const ss_fc_plan *p, ss_err *err)
{
	struct stat st;

	if (!p->jail_dir[0])
		return SS_OK;
	if (lstat(p->jail_dir, &st) < 0)
		return errno == ENOENT ? SS_OK : ss_err_errno(err, SS_EIO, "jail '%s'", p->jail_dir);
	if (remove_at(AT_FDCWD, p->jail_dir, st.st_dev, 0) < 0)
		return ss_err_errno(err, SS_EIO, "remove jail '%s'", p->jail_dir);
	return SS_OK;
}

static int make_dir(const char *path, bool must_be_new, ss_err *err)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return SS_OK;
	if (errno == EEXIST && must_be_new)
		return ss_err_set(err, SS_EIO, "jail '%s' already exists", path);
	if (errno != EEXIST)
		return ss_err_errno(err, SS_EIO, "create '%s'", path);
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return ss_err_set(err, SS_EIO, "'%s' is not a directory", path);
	return SS_OK;
}

int ss_jail_create(const ss_fc_plan *p, ss_err *err)
{
	char path[PATH_MAX + 128], *slash;
	struct stat st;
	int rc;

	/* <base>/<exec name> is shared by every jail; <id> is this one's. */
	snprintf(path, sizeof path, "%s", p->jail_dir);
	slash = strrchr(path, '/');
	*slash = 0;
	if ((slash = strrchr(path, '/'))) {
		*slash = 0;
		if (stat(path[0] ? path : "/", &st) < 0 || !S_ISDIR(st.st_mode))
			return ss_err_errno(err, SS_EIO, "--chroot-base-dir '%s'", path);
		*slash = '/';
	}
	if ((rc = make_dir(path, false, err)) || (rc = make_dir(p->jail_dir, true, err)))
		return rc;
	if ((rc = make_dir(p->jail_root, false, err)))
		goto fail;
	snprintf(path, sizeof path, "%s/run", p->jail_root);
	if ((rc = make_dir(path, false, err)))
		goto fail;
	if (chown(path, p->uid, p->gid) < 0) {
		rc = ss_err_errno(err, SS_EIO, "chown '%s'", path);
		goto fail;
	}
	for (size_t i = 0; i < p->nlinks; i++) {
		snprintf(path, sizeof path, "%s/%s", p->jail_root, p->links[i].name);
		if (link(p->links[i].src, path) < 0) {
			if (errno == EXDEV)
				rc = ss_err_set(err, SS_EIO, "hard-link '%s' into the jail: not on "
						"the filesystem of --chroot-base-dir", p->links[i].src);
			else
				rc = ss_err_errno(err, SS_EIO, "hard-link '%s' into the jail",
						  p->links[i].src);
			goto fail;
		}
	}
	return SS_OK;
fail:
	ss_jail_remove(p, NULL);
	return rc;
}
