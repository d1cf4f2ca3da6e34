#include "ss/tpm.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "ss/opt.h"

const char *ss_tcti_choose(const char *opt)
{
	const char *env;

	if (opt && *opt)
		return opt;
	if ((env = getenv("SS_TCTI")) && *env)
		return env;
	if ((env = getenv("TPM2TOOLS_TCTI")) && *env)
		return env;
	return NULL;
}

int ss_tpm_err(ss_err *err, TSS2_RC rc, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return ss_err_set(err, SS_ETPM, "%s: %s (0x%x)", what, Tss2_RC_Decode(rc), rc);
}

/* ---- watchdog ------------------------------------------------------------ */

static char watchdog_msg[512];
static size_t watchdog_len;

static void watchdog_fire(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls here. */
	if (write(2, watchdog_msg, watchdog_len) < 0) {
		/* nothing more can be done */
	}
	_exit(SS_ETPM);
}

static void watchdog_arm(const char *conf)
{
	struct itimerval it = { { 0, 0 }, { 120, 0 } };
	const char *env = getenv("SS_TPM_TIMEOUT");
	uint64_t secs;

	if (env && ss_parse_u64(env, 1, 3600, &secs))
		it.it_value.tv_sec = (time_t)secs;
	snprintf(watchdog_msg, sizeof watchdog_msg, "%s: TPM '%s': no answer within %ld s\n",
		 ss_prog, conf, (long)it.it_value.tv_sec);
	watchdog_len = strlen(watchdog_msg);
	signal(SIGALRM, watchdog_fire);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void watchdog_disarm(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
}

/* ---- connection ----------------------------------------------------------- */

int ss_tpm_open(ss_tpm *t, const char *tcti_opt, bool verbose, ss_err *err)
{
	const char *conf = ss_tcti_choose(tcti_opt);
	TSS2_RC rc;

	memset(t, 0, sizeof *t);
	snprintf(t->conf, sizeof t->conf, "%s", conf ? conf : "default");
	/* tss2 reads TSS2_LOG when it first logs; its WARNING/ERROR lines
	 * carry file:line and would stack under our one-line errors. */
	if (!verbose)
		setenv("TSS2_LOG", "all+NONE", 1);
	watchdog_arm(t->conf);
	rc = Tss2_TctiLdr_Initialize(conf, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		watchdog_disarm();
		t->tcti = NULL;
		if ((rc & 0xffff) == TSS2_BASE_RC_IO_ERROR)
			return ss_err_set(err, SS_ETPM,
					  "connect to TPM '%s': cannot reach the TPM (is it running?)",
					  t->conf);
		return ss_tpm_err(err, rc, "connect to TPM '%s'", t->conf);
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(&t->tcti);
		watchdog_disarm();
		return ss_tpm_err(err, rc, "connect to TPM '%s'", t->conf);
	}
	return SS_OK;
}

void ss_tpm_track(ss_tpm *t, ESYS_TR h)
{
	if (h == ESYS_TR_NONE)
		return;
	if (t->ntracked == SS_TPM_MAX_TRACKED) {
		/* More live objects than any command here uses: a bug. */
		Esys_FlushContext(t->esys, h);
		return;
	}
	t->tracked[t->ntracked++] = h;
}

void ss_tpm_untrack(ss_tpm *t, ESYS_TR h)
{
	for (int i = 0; i < t->ntracked; i++)
		if (t->tracked[i] == h) {
			t->tracked[i] = t->tracked[--t->ntracked];
			return;
		}
}

void ss_tpm_flush(ss_tpm *t, ESYS_TR *h)
{
	if (*h == ESYS_TR_NONE)
		return;
	ss_tpm_untrack(t, *h);
	Esys_FlushContext(t->esys, *h);
	*h = ESYS_TR_NONE;
}

void ss_tpm_close(ss_tpm *t)
{
	if (t->esys) {
		while (t->ntracked > 0)
			Esys_FlushContext(t->esys, t->tracked[--t->ntracked]);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	watchdog_disarm();
}
