/* The state directory: --state DIR, else $SS_STATE_DIR, else
 * $XDG_STATE_HOME/ss, else ~/.local/state/ss.  Created with mode 0700; one
 * that group or others can enter is refused. */
#ifndef SS_STATE_H
#define SS_STATE_H

#include <stddef.h>

#include "ss/err.h"

/* Resolve (without creating) into out. */
int ss_state_path(const char *opt, char *out, size_t outlen, ss_err *err);
/* Resolve and create (parents too), open it once (O_DIRECTORY|O_NOFOLLOW)
 * and check ownership and mode on that descriptor, which *dirfd gets
 * (NULL: closed again).  Every record is then reached relative to it
 * (ss/store.h), so the directory cannot be swapped under a running tool. */
int ss_state_open(const char *opt, char *out, size_t outlen, int *dirfd, ss_err *err);
/* mkdir -p with mode 0700 for every directory it creates. */
int ss_mkdir_p(const char *path, ss_err *err);
/* A directory we own that only we can enter, created if missing, opened
 * without following a symbolic link and checked on the descriptor. */
int ss_private_dir_open(const char *path, int *dirfd, ss_err *err);
/* The same, closed again. */
int ss_private_dir(const char *path, ss_err *err);

#endif
