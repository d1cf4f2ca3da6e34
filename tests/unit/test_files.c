/* Secret files, atomic writes and the state directory, on a real filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ss/io.h"
#include "ss/secret.h"
#include "ss/state.h"
#include "unit.h"

static char dir[256];

static const char *path(const char *name)
{
	/* Rotating buffers: a call may use two paths at once. */
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void put(const char *name, const char *data, mode_t mode)
{
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (write(fd, data, strlen(data)) < 0)
		perror("write");
	fchmod(fd, mode);
	close(fd);
}

TEST(secret_file_is_created_0600_and_never_replaced)
{
	ss_err err = { 0 };
	struct stat st;
	ss_secret s = SS_SECRET_INIT;

	CHECK(ss_secret_write_file(path("k1"), "0123456789abcdef0123456789abcdef", 32, &err) == SS_OK);
	CHECK(stat(path("k1"), &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(ss_secret_write_file(path("k1"), "x", 1, &err) == SS_EIO);
	CHECK(strstr(err.msg, "already exists") != NULL);
	CHECK(ss_secret_read_file(path("k1"), 32, 64, &s, &err) == SS_OK && s.len == 32);
	CHECK(memcmp(s.p, "0123456789abcdef0123456789abcdef", 32) == 0);
	ss_secret_free(&s);
	CHECK(s.p == NULL && s.maplen == 0);
}

TEST(secret_file_refuses_dangling_symlink_target)
{
	ss_err err = { 0 };

	CHECK(symlink(path("nowhere"), path("link")) == 0);
	CHECK(ss_secret_write_file(path("link"), "x", 1, &err) == SS_EIO);
	CHECK(access(path("nowhere"), F_OK) != 0); /* nothing was created through it */
}

TEST(secret_read_refuses_group_readable_short_and_symlink)
{
	ss_err err = { 0 };
	ss_secret s = SS_SECRET_INIT;
	char want[512];

	put("open", "0123456789abcdef0123456789abcdef", 0640);
	CHECK(ss_secret_read_file(path("open"), 32, 64, &s, &err) == SS_EINPUT);
	snprintf(want, sizeof want, "secret file '%s' is accessible by group or others (mode 0640)", path("open"));
	CHECK_STR(err.msg, want);
	put("short", "0123456789", 0600);
	CHECK(ss_secret_read_file(path("short"), 32, 64, &s, &err) == SS_EINPUT);
	snprintf(want, sizeof want, "secret file '%s' is 10 bytes, at least 32 are required", path("short"));
	CHECK_STR(err.msg, want);
	put("long", "0123456789", 0600);
	CHECK(ss_secret_read_file(path("long"), 1, 9, &s, &err) == SS_EINPUT);
	CHECK(symlink(path("k1"), path("klink")) == 0);
	CHECK(ss_secret_read_file(path("klink"), 1, 64, &s, &err) == SS_EINPUT);
	CHECK(strstr(err.msg, "symbolic link") != NULL);
}

/* The buffer starts at the file's size (or a page, for a descriptor) and
 * grows: what is read is the same bytes as with a buffer of max, and the
 * limits are the same at every size around a page. */
TEST(secret_read_sizes_its_buffer_and_grows)
{
	static const size_t sizes[] = { 1, 4095, 4096, 4097, 9000, 20000 };
	char data[20001];
	ss_err err = { 0 };
	ss_secret s = SS_SECRET_INIT;

	for (size_t i = 0; i < sizeof data - 1; i++)
		data[i] = (char)('a' + i % 26);
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k];
		int fds[2];
		pid_t pid;

		data[n] = 0;
		put("grow", data, 0600);
		CHECK(ss_secret_read_file(path("grow"), 1, 20000, &s, &err) == SS_OK);
		CHECK(s.len == n && memcmp(s.p, data, n) == 0);
		ss_secret_free(&s);
		CHECK(ss_secret_read_file(path("grow"), 1, n, &s, &err) == SS_OK && s.len == n);
		ss_secret_free(&s);
		if (n > 1)
			CHECK(ss_secret_read_file(path("grow"), 1, n - 1, &s, &err) == SS_EINPUT);
		/* A pipe: no size to start from. */
		CHECK(pipe(fds) == 0);
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			_exit(write(fds[1], data, n) == (ssize_t)n ? 0 : 1);
		}
		close(fds[1]);
		CHECK(ss_secret_read_fd(fds[0], 1, 20000, &s, &err) == SS_OK);
		CHECK(s.len == n && memcmp(s.p, data, n) == 0);
		ss_secret_free(&s);
		waitpid(pid, NULL, 0);
		data[n] = (char)('a' + n % 26);
	}
}

TEST(file_replace_is_atomic_and_leaves_no_temp)
{
	ss_err err = { 0 };
	ss_buf b = SS_BUF_INIT;
	char cmd[600];

	CHECK(ss_file_replace(path("doc"), "one", 3, 0644, &err) == SS_OK);
	CHECK(ss_file_replace(path("doc"), "two!", 4, 0644, &err) == SS_OK);
	CHECK(ss_read_path(path("doc"), 100, &b, &err) == SS_OK);
	CHECK_STR(ss_buf_str(&b), "two!");
	snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp-", dir);
	CHECK(system(cmd) != 0);
	ss_buf_free(&b);
}

TEST(read_cap_is_enforced)
{
	ss_err err = { 0 };
	ss_buf b = SS_BUF_INIT;

	put("big", "0123456789", 0600);
	CHECK(ss_read_path(path("big"), 5, &b, &err) == SS_EINPUT);
	ss_buf_free(&b);
}

TEST(state_dir_chain_and_mode)
{
	ss_err err = { 0 };
	char out[512], want[512];
	struct stat st;

	setenv("SS_STATE_DIR", path("st1"), 1);
	CHECK(ss_state_open(NULL, out, sizeof out, NULL, &err) == SS_OK);
	CHECK_STR(out, path("st1"));
	CHECK(stat(out, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(ss_state_open(path("st2/deep"), out, sizeof out, NULL, &err) == SS_OK);
	CHECK_STR(out, path("st2/deep"));
	unsetenv("SS_STATE_DIR");
	setenv("XDG_STATE_HOME", path("xdg"), 1);
	CHECK(ss_state_path(NULL, out, sizeof out, &err) == SS_OK);
	snprintf(want, sizeof want, "%s/ss", path("xdg"));
	CHECK_STR(out, want);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", path("home"), 1);
	CHECK(ss_state_path(NULL, out, sizeof out, &err) == SS_OK);
	snprintf(want, sizeof want, "%s/.local/state/ss", path("home"));
	CHECK_STR(out, want);
	mkdir(path("loose"), 0755);
	chmod(path("loose"), 0755);
	CHECK(ss_state_open(path("loose"), out, sizeof out, NULL, &err) == SS_EIO);
	snprintf(want, sizeof want, "state: directory '%s' is accessible by group or others (mode 0755)", path("loose"));
	CHECK_STR(err.msg, want);
}

TEST(lines_reader_splits_and_caps)
{
	ss_err err = { 0 };
	ss_lines r;
	const char *line;
	size_t len;
	int fd;

	put("lines", "a\nbb\n\nccc", 0600);
	fd = open(path("lines"), O_RDONLY);
	ss_lines_init(&r, fd, "lines", 3);
	CHECK(ss_lines_next(&r, &line, &len, &err) == SS_OK && len == 1 && strcmp(line, "a") == 0);
	CHECK(ss_lines_next(&r, &line, &len, &err) == SS_OK && len == 2 && strcmp(line, "bb") == 0);
	CHECK(ss_lines_next(&r, &line, &len, &err) == SS_OK && len == 0 && line != NULL);
	CHECK(ss_lines_next(&r, &line, &len, &err) == SS_OK && len == 3 && strcmp(line, "ccc") == 0);
	CHECK(r.lineno == 4);
	CHECK(ss_lines_next(&r, &line, &len, &err) == SS_OK && line == NULL);
	ss_lines_free(&r);
	close(fd);
	put("longline", "abcd\n", 0600);
	fd = open(path("longline"), O_RDONLY);
	ss_lines_init(&r, fd, "lines", 3);
	CHECK(ss_lines_next(&r, &line, &len, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "line 1: longer than 3 bytes");
	ss_lines_free(&r);
	close(fd);
}

int main(void)
{
	char cmd[300];
	int rc;

	snprintf(dir, sizeof dir, "%s/ss-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 99;
	RUN(secret_file_is_created_0600_and_never_replaced);
	RUN(secret_file_refuses_dangling_symlink_target);
	RUN(secret_read_refuses_group_readable_short_and_symlink);
	RUN(secret_read_sizes_its_buffer_and_grows);
	RUN(file_replace_is_atomic_and_leaves_no_temp);
	RUN(read_cap_is_enforced);
	RUN(state_dir_chain_and_mode);
	RUN(lines_reader_splits_and_caps);
	rc = unit_done();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
