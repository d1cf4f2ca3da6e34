/* The jail that ss-fc-launch prepares for Firecracker's jailer (layout in
 * ss/api_plan.h): its directories and the hard links of the VM's files,
 * made before the jailer starts, and removed with everything in it when
 * the launch fails or the VMM has exited.
 *
 * Hard links share their file's inode, so the owner and mode of the files
 * are left alone (changing them would change the originals): the files
 * must be readable - drives that are not read-only also writable - by the
 * jail's uid or gid.  A link across filesystems is impossible: the chroot
 * base must be on the filesystem of the files. */
#ifndef SS_JAIL_H
#define SS_JAIL_H

#include "ss/api_plan.h"
#include "ss/err.h"

/* Create plan->jail_dir (which must not exist yet: SS_EIO), its root with
 * run/ owned by the jail's uid and gid, and the links.  On failure what
 * was made is removed again. */
int ss_jail_create(const ss_fc_plan *plan, ss_err *err);
/* Remove plan->jail_dir and everything under it, without following
 * symlinks or crossing into another filesystem. */
int ss_jail_remove(const ss_fc_plan *plan, ss_err *err);

#endif
