/* The control plane's and runner's embedded store: one file per record in
 * the state directory, grouped in kinds (subdirectories), written
 * atomically and fsynced; no server.
 *
 *   <state>/<kind>/<key>      one record (usually a JSON document)
 *   <state>/audit.jsonl       append-only decision log
 *
 * Keys are identifiers or hex ([A-Za-z0-9._:-], not starting with '.'),
 * so a key can never name a path outside its kind.  Moving a record from
 * one kind to another is rename(2), creating one exclusively is link(2): of
 * two concurrent attempts exactly one succeeds, which is how a challenge is
 * consumed once.
 *
 * Durability.  Outside a group, every write is fsynced (file and
 * directory) before it returns.  Between ss_store_begin and ss_store_commit
 * writes are atomic (temporary file, then rename or link) but not synced
 * one by one; the commit makes all of them durable with one syncfs(2), and
 * nothing is reported to anyone before it returns.  A crash before the
 * commit can leave a record of the group missing, or present but
 * incomplete: records are strict JSON, so an incomplete one fails to parse
 * and is refused, never trusted (see docs/store.md). */
#ifndef SS_STORE_H
#define SS_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"

typedef struct ss_store {
	char dir[PATH_MAX]; /* the state directory's path, for messages only */
	int dirfd;          /* the state directory, opened once */
	int lock_fd;        /* -1 when not held */
	bool open;          /* between ss_store_open and ss_store_close */
	bool group;         /* between begin and commit */
	bool dirty;         /* the group wrote something */
} ss_store;

/* A store not open yet, that ss_store_close may be called on. */
#define SS_STORE_INIT { .dirfd = -1, .lock_fd = -1 }

/* Resolve the state directory (see ss/state.h), create it, and open it
 * once: owner and mode are checked on that descriptor, and every record,
 * the lock and the audit log are reached relative to it (openat, linkat,
 * renameat2, ...; each kind's directory without following a link), so a
 * directory renamed or linked in its place while the tool runs is never
 * written.  A store that was never opened may be closed. */
int ss_store_open(ss_store *st, const char *state_opt, ss_err *err);
void ss_store_close(ss_store *st);

/* Group the writes that follow into one commit. */
void ss_store_begin(ss_store *st);
/* Make the group durable (one syncfs of the state's filesystem, and of
 * also's when it is another one; also may be NULL) and end it. */
int ss_store_commit(ss_store *st, const char *also, ss_err *err);

/* kind NULL in the calls below names a file at the top of the state
 * directory itself (audit.head).
 *
 * Write a record.  exclusive: an existing record is SS_EIO "already exists"
 * and stays as it was.  mode 0600 for secrets, 0644 otherwise (the
 * directory is 0700 either way). */
int ss_store_put(ss_store *st, const char *kind, const char *key, const void *p, size_t n,
		 bool exclusive, ss_err *err);
/* Create a record that must not exist: *created = false (SS_OK) when it
 * does, and it is left as it was. */
int ss_store_put_new(ss_store *st, const char *kind, const char *key, const void *p, size_t n,
		     bool *created, ss_err *err);
/* Read a record (capped at 1 MiB).  *found = false when absent (SS_OK). */
int ss_store_get(ss_store *st, const char *kind, const char *key, ss_buf *out, bool *found,
		 ss_err *err);
/* Read and strictly parse a JSON record. */
int ss_store_get_json(ss_store *st, const char *kind, const char *key, cJSON **out,
		      bool *found, ss_err *err);
bool ss_store_exists(ss_store *st, const char *kind, const char *key);
/* Remove; *found = false when it was not there. */
int ss_store_remove(ss_store *st, const char *kind, const char *key, bool *found, ss_err *err);
/* Atomically move kind_from/key to kind_to/key; *moved = false when the
 * source did not exist (someone else moved it first).  Never replaces an
 * existing destination. */
int ss_store_move(ss_store *st, const char *kind_from, const char *kind_to, const char *key,
		  bool *moved, ss_err *err);
/* Keys of a kind, sorted; free with ss_store_keys_free. */
int ss_store_keys(ss_store *st, const char *kind, char ***keys, size_t *n, ss_err *err);
void ss_store_keys_free(char **keys, size_t n);

/* Remove the temporary files of atomic writes (names containing ".tmp-")
 * last modified before `before` (seconds since the epoch), in every kind and
 * in the state directory itself: what a crash in the middle of a write
 * leaves.  Some hold private keys.
 * *removed counts them. */
int ss_store_sweep(ss_store *st, int64_t before, size_t *removed, ss_err *err);

/* Serialize read-modify-write sequences across processes (flock on
 * <state>/.lock).  Held until ss_store_unlock or close. */
int ss_store_lock(ss_store *st, ss_err *err);
void ss_store_unlock(ss_store *st);

/* The audit log, <state>/audit.jsonl: lines appended, never rewritten.
 * What a line holds, and the hash chain that links each to the one before
 * it, are ss/audit.h's; the store reads and appends bytes. */
#define SS_STORE_AUDIT_LOG "audit.jsonl"

/* The log's size and its last line (with its '\n', when it has one;
 * empty for an empty or absent log), read under the lock the caller
 * holds. */
int ss_store_audit_tail(ss_store *st, uint64_t *size, ss_buf *last, ss_err *err);
/* Append bytes (whole lines) to the log: one write(2) with O_APPEND, so
 * readers never see half a line of another writer, fsynced outside a
 * group.  The caller holds the lock (SS_EIO otherwise). */
int ss_store_audit(ss_store *st, const void *line, size_t n, ss_err *err);
/* The log opened for reading, and its size then; *fd = -1 when there is
 * no log.  Read under the lock, the size ends at a line's end. */
int ss_store_audit_open(ss_store *st, int *fd, uint64_t *size, ss_err *err);

bool ss_store_valid_key(const char *key);

#endif
