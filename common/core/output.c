#include "ss/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss/io.h"

int ss_output_stage(ss_output *o, const char *path, mode_t mode, ss_err *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat sb;
	int fd, rc;

	memset(o, 0, sizeof *o);
	o->dirfd = -1;
	snprintf(o->path, sizeof o->path, "%s", path);
	if (!*path || (slash && !slash[1]) || strlen(slash ? slash + 1 : path) > NAME_MAX)
		return ss_err_set(err, SS_EUSAGE, "'%s' is not a file name", path);
	snprintf(o->name, sizeof o->name, "%s", slash ? slash + 1 : path);
	if ((rc = ss_temp_name(o->name, o->tmp, sizeof o->tmp, err)))
		return rc;
	ss_dirname(path, dir, sizeof dir);
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0)
		return ss_err_errno(err, SS_EIO, "create '%s'", path);
	if (fstatat(o->dirfd, o->name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = ss_err_set(err, SS_EIO, "'%s' already exists", path);
		goto fail;
	}
	fd = openat(o->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = ss_err_errno(err, SS_EIO, "create '%s'", path);
		goto fail;
	}
	if (fchmod(fd, mode) < 0) {
		rc = ss_err_errno(err, SS_EIO, "create '%s'", path);
		close(fd);
		unlinkat(o->dirfd, o->tmp, 0);
		goto fail;
	}
	close(fd);
	o->staged = true;
	return SS_OK;
fail:
	close(o->dirfd);
	o->dirfd = -1;
	return rc;
}

int ss_output_write(ss_output *o, const void *p, size_t n, ss_err *err)
{
	int fd, rc;

	if (!o->staged)
		return ss_err_set(err, SS_EIO, "'%s': nothing staged", o->path);
	fd = openat(o->dirfd, o->tmp, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "write '%s'", o->path);
	if ((rc = ss_write_all(fd, p, n, err)))
		ss_err_prefix(err, "'%s'", o->path);
	if (close(fd) < 0 && !rc)
		rc = ss_err_errno(err, SS_EIO, "close '%s'", o->path);
	return rc;
}

int ss_output_publish(ss_output *o, ss_err *err)
{
	struct stat sb;

	if (!o->staged)
		return ss_err_set(err, SS_EIO, "'%s': nothing staged", o->path);
	if (linkat(o->dirfd, o->tmp, o->dirfd, o->name, 0) < 0) {
		if (errno == EEXIST)
			return ss_err_set(err, SS_EIO, "'%s' already exists", o->path);
		return ss_err_errno(err, SS_EIO, "create '%s'", o->path);
	}
	o->published = true;
	if (fstatat(o->dirfd, o->name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		o->dev = sb.st_dev;
		o->ino = sb.st_ino;
	}
	unlinkat(o->dirfd, o->tmp, 0);
	o->staged = false;
	if (fsync(o->dirfd) < 0 && errno != EINVAL)
		return ss_err_errno(err, SS_EIO, "fsync the directory of '%s'", o->path);
	return SS_OK;
}

void ss_output_discard(ss_output *o)
{
	struct stat sb;
	int fd;

	if (o->staged) {
		/* Its blocks go before its name: a secret left no longer than
		 * the name. */
		fd = openat(o->dirfd, o->tmp, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		unlinkat(o->dirfd, o->tmp, 0);
		o->staged = false;
	}
	if (o->published && fstatat(o->dirfd, o->name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    sb.st_dev == o->dev && sb.st_ino == o->ino) {
		fd = openat(o->dirfd, o->name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		unlinkat(o->dirfd, o->name, 0);
		(void)fsync(o->dirfd);
	}
	o->published = false;
	ss_output_end(o);
}

void ss_output_end(ss_output *o)
{
	if (o->staged)
		ss_output_discard(o);
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
}
