/* Reading capped input, writing stdout with checked flushes, and files
 * written atomically (never half-written, never silently replaced). */
#ifndef SS_IO_H
#define SS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ss/buf.h"
#include "ss/err.h"

/* Read all of fd until EOF, appending to out: more than cap bytes is
 * SS_EINPUT "read NAME: larger than CAP bytes".  name is how messages call
 * the input, e.g. "standard input". */
int ss_read_fd(int fd, const char *name, size_t cap, ss_buf *out, ss_err *err);
/* The same for a file named on a command line ("-": standard input), opened
 * as given (symlinks followed: this is for documents, not secrets, which go
 * through ss_secret_read_file); messages name it 'PATH'. */
int ss_read_path(const char *path, size_t cap, ss_buf *out, ss_err *err);

/* Write everything, retrying short writes and EINTR. */
int ss_write_all(int fd, const void *p, size_t n, ss_err *err);

/* Standard output.  Writes are buffered in whole lines and flushed when the
 * buffer fills and by ss_stdout_flush(), which every tool calls before
 * exiting 0 or 1: a failed flush is "standard output: write: ..." (SS_EIO).
 * A reader that has gone (EPIPE: `tool | head -1`) is not a failure, as it
 * is not for grep or jq: from then on what is written is dropped,
 * ss_stdout_gone() is true, and streaming modes stop early. */
int ss_stdout_write(const void *p, size_t n, ss_err *err);
int ss_stdout_flush(ss_err *err);
bool ss_stdout_gone(void);
/* Drop what is buffered and not yet written (on an error exit, so stdout
 * stays empty or ends at a complete record). */
void ss_stdout_discard(void);

/* What a write makes durable before it returns (bits). */
#define SS_SYNC_DATA 1u  /* fsync the file's contents before it gets its name */
#define SS_SYNC_DIR 2u   /* fsync the directory after naming it */
#define SS_SYNC_ALL (SS_SYNC_DATA | SS_SYNC_DIR)

/* Write path atomically: a temporary file in the same directory, renamed
 * over path.  With SS_SYNC_ALL (the plain function) the contents and the
 * name are on disk when it returns; callers that group several writes in
 * one commit pass fewer bits and end with ss_syncfs. */
int ss_file_replace(const char *path, const void *p, size_t n, mode_t mode, ss_err *err);
int ss_file_replace_ex(const char *path, const void *p, size_t n, mode_t mode, unsigned sync,
		       ss_err *err);
/* As ss_file_replace, but an existing path (file, directory or symlink,
 * dangling or not) is left untouched and reported as SS_EIO
 * "'path' already exists".  The temporary file is created
 * O_EXCL|O_NOFOLLOW and linked into place, so with SS_SYNC_DATA the final
 * name appears complete or not at all. */
int ss_file_create(const char *path, const void *p, size_t n, mode_t mode, ss_err *err);
int ss_file_create_ex(const char *path, const void *p, size_t n, mode_t mode, unsigned sync,
		      ss_err *err);
/* The same relative to an open directory: name is a file name in dirfd
 * (or a path with AT_FDCWD), shown is how messages call it.  The directory
 * sync of SS_SYNC_DIR is fsync(dirfd). */
int ss_file_replace_at(int dirfd, const char *name, const char *shown, const void *p, size_t n,
		       mode_t mode, unsigned sync, ss_err *err);
int ss_file_create_at(int dirfd, const char *name, const char *shown, const void *p, size_t n,
		      mode_t mode, unsigned sync, ss_err *err);
/* "<name>.tmp-<16 random hex>", the name of a temporary file beside name
 * (store listings skip names containing ".tmp-"). */
int ss_temp_name(const char *name, char *tmp, size_t tmplen, ss_err *err);
/* Flush the whole filesystem holding path (syncfs(2)): the commit point of
 * a group of writes made without SS_SYNC_ALL.  One journal commit instead
 * of two per file. */
int ss_syncfs(const char *path, ss_err *err);
/* The same for the filesystem of an open descriptor. */
int ss_syncfs_fd(int fd, const char *shown, ss_err *err);
/* fsync a directory (after creating, renaming or unlinking in it). */
int ss_fsync_dir(const char *dir, ss_err *err);
/* The directory part of path ("." when none), into out. */
void ss_dirname(const char *path, char *out, size_t outlen);

/* JSONL reader: lines up to max_line bytes, the last one may lack '\n'. */
typedef struct ss_lines {
	int fd;
	const char *name;
	size_t max_line;
	ss_buf buf;
	size_t start;
	size_t lineno;  /* of the line last returned, from 1 */
	bool eof;
} ss_lines;

void ss_lines_init(ss_lines *r, int fd, const char *name, size_t max_line);
/* line and len: the next line without its '\n'; returns SS_OK with
 * *line == NULL at the end of input. */
int ss_lines_next(ss_lines *r, const char **line, size_t *len, ss_err *err);
/* Many lines at once, for a reader that keeps them a while (the batch
 * engine): up to max_lines, fewer once max_bytes are taken, handed over in
 * text without copying them one by one.  Line k is text->data + start[k],
 * len[k] bytes, NUL-terminated in place of its '\n'; *n says how many were
 * taken.  text's old buffer becomes the reader's.  A read waits for input
 * only while fewer than wait_lines lines are taken (SIZE_MAX: always; 0:
 * never); when it would have to wait, *waiting is set and the lines taken
 * so far are returned, what has come of the next staying for the next call.
 * A read error or a line too long is returned (as ss_lines_next words it)
 * with the lines before it. */
int ss_lines_take(ss_lines *r, ss_buf *text, size_t *start, size_t *len, size_t max_lines,
		  size_t max_bytes, size_t wait_lines, bool *waiting, size_t *n, ss_err *err);
/* Every line is returned and the input is at its end. */
bool ss_lines_done(const ss_lines *r);
void ss_lines_free(ss_lines *r);

/* Progress on stderr for long-running modes, only when stderr is a
 * terminal: "label: N done (R/s)", redrawn at most a few times a second. */
typedef struct ss_progress {
	bool on;
	const char *label;
	unsigned long long count;
	double start, last;
} ss_progress;

void ss_progress_start(ss_progress *p, const char *label);
void ss_progress_add(ss_progress *p, unsigned long long n);
void ss_progress_end(ss_progress *p);

#endif
