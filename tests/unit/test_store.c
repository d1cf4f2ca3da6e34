/* The state directory is opened once: a store keeps working on the
 * directory it checked, whatever is renamed or linked in its place while
 * it runs, and every record is reached relative to it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss/store.h"
#include "unit.h"

static char dir[256];

static const char *path(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static int exists(const char *name)
{
	struct stat sb;

	return lstat(path(name), &sb) == 0;
}

TEST(store_follows_the_directory_it_opened_not_its_name)
{
	ss_store st = { .lock_fd = -1 };
	ss_err err = { 0 };
	ss_buf b = SS_BUF_INIT;
	bool found = false, moved = false;

	CHECK(ss_store_open(&st, path("state"), &err) == SS_OK);
	CHECK(ss_store_put(&st, "kind", "before", "1", 1, true, &err) == SS_OK);
	/* The directory is moved away and another one takes its name. */
	CHECK(rename(path("state"), path("moved")) == 0);
	CHECK(mkdir(path("state"), 0700) == 0);
	CHECK(ss_store_put(&st, "kind", "after", "2", 1, true, &err) == SS_OK);
	CHECK(exists("moved/kind/after"));
	CHECK(!exists("state/kind/after"));
	CHECK(ss_store_get(&st, "kind", "before", &b, &found, &err) == SS_OK && found);
	CHECK(ss_store_move(&st, "kind", "other", "after", &moved, &err) == SS_OK && moved);
	CHECK(exists("moved/other/after") && !exists("state/other"));
	/* Then a symbolic link to elsewhere takes the name. */
	CHECK(rmdir(path("state")) == 0);
	CHECK(mkdir(path("elsewhere"), 0700) == 0);
	CHECK(symlink(path("elsewhere"), path("state")) == 0);
	ss_store_begin(&st);
	CHECK(ss_store_put(&st, "kind", "linked", "3", 1, false, &err) == SS_OK);
	CHECK(ss_store_commit(&st, NULL, &err) == SS_OK);
	CHECK(exists("moved/kind/linked") && !exists("elsewhere/kind"));
	CHECK(ss_store_lock(&st, &err) == SS_OK);
	CHECK(exists("moved/.lock") && !exists("elsewhere/.lock"));
	ss_store_close(&st);
	ss_buf_free(&b);
}

TEST(state_dir_that_is_a_symlink_is_refused)
{
	ss_store st = { .lock_fd = -1 };
	ss_err err = { 0 };
	char want[600];

	CHECK(mkdir(path("real"), 0700) == 0);
	CHECK(symlink(path("real"), path("link")) == 0);
	CHECK(ss_store_open(&st, path("link"), &err) == SS_EIO);
	snprintf(want, sizeof want, "state: '%s' is a symbolic link, not a directory", path("link"));
	CHECK_STR(err.msg, want);
	ss_store_close(&st);
}

int main(void)
{
	char cmd[300];
	int rc;

	snprintf(dir, sizeof dir, "%s/ss-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 99;
	RUN(store_follows_the_directory_it_opened_not_its_name);
	RUN(state_dir_that_is_a_symlink_is_refused);
	rc = unit_done();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
