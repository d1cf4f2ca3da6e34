#!/usr/bin/python3
"""Where a command changes the filesystem, from an strace log.

    crash_points.py LOG

LOG is `strace -f -o LOG -e trace=SYSCALLS CMD` output.  Prints one line
per system call that creates, writes, syncs, names or removes a file -
"SYSCALL N DETAIL", N counting that system call's invocations from 1, as
strace's inject=SYSCALL:when=N counts them - so that a test can kill the
command at each of those points in turn (a crash in the middle of a write).
Writes to standard error (fd 2) are left out.
"""
import re
import sys

CALL = re.compile(r"^(?:\d+\s+)?(\w+)\((.*)")
MUTATING = {"write", "pwrite64", "writev", "fsync", "fdatasync", "syncfs", "link", "linkat",
            "rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat",
            "ftruncate", "fchmod", "fchmodat"}

counts = {}
with open(sys.argv[1]) as log:
    for line in log:
        m = CALL.match(line)
        if not m or line.startswith("---") or "resumed>" in line:
            continue
        name, args = m.groups()
        counts[name] = counts.get(name, 0) + 1
        if name in ("open", "openat"):
            if not re.search(r"O_CREAT|O_WRONLY|O_RDWR|O_TRUNC", args):
                continue
        elif name not in MUTATING:
            continue
        if name in ("write", "writev", "pwrite64") and args.startswith("2,"):
            continue
        print(name, counts[name], args[:100].replace("\n", " "))
