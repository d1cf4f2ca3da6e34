#include "ss/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fit(char *out, size_t outlen, ss_err *err, const char *a, const char *b)
{
	if ((size_t)snprintf(out, outlen, "%s%s", a, b) >= outlen)
		return ss_err_set(err, SS_EUSAGE, "state directory path too long");
	return SS_OK;
}

int ss_state_path(const char *opt, char *out, size_t outlen, ss_err *err)
{
	const char *env;

	if (opt && *opt)
		return fit(out, outlen, err, opt, "");
	if ((env = getenv("SS_STATE_DIR")) && *env)
		return fit(out, outlen, err, env, "");
	if ((env = getenv("XDG_STATE_HOME")) && *env == '/')
		return fit(out, outlen, err, env, "/ss");
	env = getenv("HOME");
	if (!env || !*env) {
		struct passwd *pw = getpwuid(getuid());
		env = pw ? pw->pw_dir : NULL;
	}
	if (!env || !*env)
		return ss_err_set(err, SS_EUSAGE,
				  "no state directory: give --state or set SS_STATE_DIR");
	return fit(out, outlen, err, env, "/.local/state/ss");
}

int ss_mkdir_p(const char *path, ss_err *err)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof tmp)
		return ss_err_set(err, SS_EIO, "bad directory path '%s'", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;
			*p = 0;
			if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
				return ss_err_errno(err, SS_EIO, "create directory '%s'", tmp);
			*p = c;
			if (!c)
				break;
		}
	}
	return SS_OK;
}

int ss_private_dir_open(const char *path, int *dirfd, ss_err *err)
{
	struct stat st;
	int fd, rc;

	*dirfd = -1;
	if ((rc = ss_mkdir_p(path, err)))
		return rc;
	/* Opened once, without following a link; what is checked is this
	 * descriptor, and what is used after is this descriptor too, whatever
	 * takes the name meanwhile. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if ((errno == ELOOP || errno == ENOTDIR) && lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			return ss_err_set(err, SS_EIO, "'%s' is a symbolic link, not a directory",
					  path);
		if (errno == ENOTDIR)
			return ss_err_set(err, SS_EIO, "'%s' is not a directory", path);
		return ss_err_errno(err, SS_EIO, "open directory '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		rc = ss_err_errno(err, SS_EIO, "stat '%s'", path);
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = ss_err_set(err, SS_EIO, "'%s' is not a directory", path);
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		rc = ss_err_set(err, SS_EIO, "directory '%s' belongs to another user", path);
		goto fail;
	}
	if (st.st_mode & 077) {
		rc = ss_err_set(err, SS_EIO,
				"directory '%s' is accessible by group or others (mode %04o)", path,
				(unsigned)(st.st_mode & 07777));
		goto fail;
	}
	*dirfd = fd;
	return SS_OK;
fail:
	close(fd);
	return rc;
}

int ss_private_dir(const char *path, ss_err *err)
{
	int fd, rc = ss_private_dir_open(path, &fd, err);

	if (!rc)
		close(fd);
	return rc;
}

int ss_state_open(const char *opt, char *out, size_t outlen, int *dirfd, ss_err *err)
{
	int fd, rc;

	if ((rc = ss_state_path(opt, out, outlen, err)))
		return rc;
	if ((rc = ss_private_dir_open(out, &fd, err)))
		return ss_err_prefix(err, "state");
	if (dirfd)
		*dirfd = fd;
	else
		close(fd);
	return SS_OK;
}
