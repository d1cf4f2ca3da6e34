#include "ss/prog.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "ss/io.h"

void ss_prog_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	struct rlimit no_core = { 0, 0 };

	if (argv0 && *argv0)
		ss_prog = slash ? slash + 1 : argv0;
	umask(077);
	/* Secrets live in this process' memory: no core file, no ptrace by
	 * other processes of the same user. */
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* A closed stdout must be an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

int ss_exit(int rc, ss_err *err)
{
	if (rc <= SS_REFUSED) {
		ss_err flush_err = { 0 };
		if (ss_stdout_flush(&flush_err)) {
			*err = flush_err;
			rc = flush_err.code;
		}
	}
	if (rc >= SS_EUSAGE)
		ss_stdout_discard();
	if (rc)
		ss_err_print(err);
	return rc;
}
