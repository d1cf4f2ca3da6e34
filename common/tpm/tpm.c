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

#include "ss/num.h"
#include "ss/secret.h"

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
	return ss_err_set(err, SS_ETPM, "%s: %s (0x%x)", what, ss_tss2_rc_text(rc), rc);
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

/* $SS_TPM_TIMEOUT, checked before anything talks to the TPM: a value
 * that is not a number of seconds in range is a usage error, never
 * silently the default. */
static int tpm_timeout(uint64_t *secs, ss_err *err)
{
	const char *env = getenv("SS_TPM_TIMEOUT");

	*secs = SS_TPM_TIMEOUT_DEFAULT;
	if (env && *env && !ss_parse_u64(env, 1, SS_TPM_TIMEOUT_MAX, secs))
		return ss_err_set(err, SS_EUSAGE,
				  "SS_TPM_TIMEOUT: '%s' is not a number of seconds in 1..%d", env,
				  SS_TPM_TIMEOUT_MAX);
	return SS_OK;
}

static void watchdog_arm(const char *conf, uint64_t secs)
{
	struct itimerval it = { { 0, 0 }, { (time_t)secs, 0 } };

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

/* Where the chosen TCTI string came from, for messages. */
static const char *tcti_source(const char *opt)
{
	const char *env = getenv("SS_TCTI");

	if (opt && *opt)
		return "--tcti";
	return env && *env ? "SS_TCTI" : "TPM2TOOLS_TCTI";
}

#define TCTI_FORMS "device:/dev/tpmrm0, swtpm:host=HOST,port=PORT, mssim:host=HOST,port=PORT, " \
		   "tabrmd:, or a TCTI library's file name with its configuration after ':'"

/* A TCTI string that tctildr cannot use as given: which TCTI forms are
 * accepted, rather than tss2's "Functionality not supported". */
static int tcti_refused(const char *opt, const char *conf, TSS2_RC rc, ss_err *err)
{
	char name[128];

	snprintf(name, sizeof name, "%.*s", (int)strcspn(conf, ":"), conf);
	if ((rc & 0xffff) == TSS2_BASE_RC_NOT_SUPPORTED)
		return ss_err_set(err, SS_EUSAGE, "%s: no TCTI '%s' here (accepted: %s)",
				  tcti_source(opt), name, TCTI_FORMS);
	return ss_err_set(err, SS_EUSAGE, "%s: '%s' is not a configuration the '%s' TCTI takes "
			  "(accepted: %s)", tcti_source(opt), conf, name, TCTI_FORMS);
}

/* tctildr takes a short name ("swtpm:...") first for a file of that name,
 * searching every library directory, and only then loads
 * libtss2-tcti-swtpm.so.0; naming the library straight away saves the
 * search (a tenth of a millisecond per run).  A name that is a path or a
 * file name already stays as it is; NULL when nothing was rewritten. */
static const char *tcti_by_library(const char *conf, char *buf, size_t n)
{
	size_t len;

	if (!conf)
		return NULL;
	len = strcspn(conf, ":");
	if (len == 0 || memchr(conf, '/', len) || memchr(conf, '.', len))
		return NULL;
	if ((size_t)snprintf(buf, n, "libtss2-tcti-%.*s.so.0%s", (int)len, conf, conf + len) >= n)
		return NULL;
	return buf;
}

int ss_tpm_open(ss_tpm *t, const char *tcti_opt, bool verbose, ss_err *err)
{
	const char *conf = ss_tcti_choose(tcti_opt), *lib;
	char lib_conf[sizeof t->conf + 32];
	uint64_t timeout;
	TSS2_RC rc;
	int src;

	memset(t, 0, sizeof *t);
	if ((src = tpm_timeout(&timeout, err)))
		return src;
	if (ss_tss2_load(err))
		return SS_ETPM;
	snprintf(t->conf, sizeof t->conf, "%s", conf ? conf : "default");
	/* tss2 reads TSS2_LOG when it first logs; its WARNING/ERROR lines
	 * carry file:line and would stack under our one-line errors. */
	if (!verbose)
		setenv("TSS2_LOG", "all+NONE", 1);
	watchdog_arm(t->conf, timeout);
	lib = tcti_by_library(conf, lib_conf, sizeof lib_conf);
	rc = Tss2_TctiLdr_Initialize(lib ? lib : conf, &t->tcti);
	/* No such library: the loader's own search, which knows other forms. */
	if (lib && (rc & 0xffff) == TSS2_BASE_RC_NOT_SUPPORTED)
		rc = Tss2_TctiLdr_Initialize(conf, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		watchdog_disarm();
		t->tcti = NULL;
		if ((rc & 0xffff) == TSS2_BASE_RC_IO_ERROR)
			return ss_err_set(err, SS_ETPM,
					  "connect to TPM '%s': cannot reach the TPM (is it running?)",
					  t->conf);
		if (conf && ((rc & 0xffff) == TSS2_BASE_RC_NOT_SUPPORTED ||
			     (rc & 0xffff) == TSS2_BASE_RC_BAD_VALUE))
			return tcti_refused(tcti_opt, conf, rc, err);
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
	if (*h == ESYS_TR_NONE || *h == ESYS_TR_PASSWORD) {
		*h = ESYS_TR_NONE;
		return;
	}
	ss_tpm_untrack(t, *h);
	Esys_FlushContext(t->esys, *h);
	*h = ESYS_TR_NONE;
}

void ss_tpm_forget_auth(ss_tpm *t, ESYS_TR h)
{
	TPM2B_AUTH zero;

	memset(&zero, 0, sizeof zero);
	zero.size = sizeof zero.buffer;
	Esys_TR_SetAuth(t->esys, h, &zero);
	zero.size = 0;
	Esys_TR_SetAuth(t->esys, h, &zero);
}

void ss_tpm_close(ss_tpm *t)
{
	if (t->esys) {
		ss_tpm_forget_auth(t, ESYS_TR_RH_OWNER);
		ss_tpm_forget_auth(t, ESYS_TR_RH_ENDORSEMENT);
		while (t->ntracked > 0)
			Esys_FlushContext(t->esys, t->tracked[--t->ntracked]);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	watchdog_disarm();
}

int ss_tpm_set_auth(ss_tpm *t, ESYS_TR hierarchy, const void *auth, size_t len, ss_err *err)
{
	TPM2B_AUTH a;
	TSS2_RC rc;

	if (len > sizeof a.buffer)
		return ss_err_set(err, SS_EINPUT, "authorization value is %zu bytes, at most %zu",
				  len, sizeof a.buffer);
	memset(&a, 0, sizeof a);
	a.size = (UINT16)len;
	if (len)
		memcpy(a.buffer, auth, len);
	rc = Esys_TR_SetAuth(t->esys, hierarchy, &a);
	ss_wipe(&a, sizeof a);
	if (rc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, rc, "set hierarchy authorization");
	return SS_OK;
}

int ss_tpm_handles(ss_tpm *t, uint32_t first, uint32_t last, uint32_t *out, size_t max,
		   size_t *n, ss_err *err)
{
	uint32_t next = first;
	TPMI_YES_NO more = TPM2_YES;

	*n = 0;
	while (more && next <= last) {
		TPMS_CAPABILITY_DATA *cap = NULL;
		TPML_HANDLE *h;
		TSS2_RC rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
						TPM2_CAP_HANDLES, next, TPM2_MAX_CAP_HANDLES, &more,
						&cap);
		if (rc != TSS2_RC_SUCCESS)
			return ss_tpm_err(err, rc, "list TPM handles from 0x%08x", next);
		h = &cap->data.handles;
		if (h->count == 0)
			more = TPM2_NO;
		for (UINT32 i = 0; i < h->count; i++) {
			if (h->handle[i] > last) {
				more = TPM2_NO;
				break;
			}
			if (*n < max)
				out[(*n)++] = h->handle[i];
			next = h->handle[i] + 1;
		}
		Esys_Free(cap);
	}
	return SS_OK;
}

int ss_tpm_has_handle(ss_tpm *t, uint32_t handle, bool *has, ss_err *err)
{
	uint32_t found;
	size_t n;
	int rc = ss_tpm_handles(t, handle, handle, &found, 1, &n, err);

	*has = rc == SS_OK && n == 1;
	return rc;
}

int ss_tpm_persistent(ss_tpm *t, uint32_t handle, ESYS_TR *tr, TPM2B_PUBLIC *pub,
		      TPM2B_NAME *qname, ss_err *err)
{
	TPM2B_PUBLIC *p = NULL;
	TPM2B_NAME *name = NULL, *qn = NULL;
	TSS2_RC rc;

	*tr = ESYS_TR_NONE;
	rc = Esys_TR_FromTPMPublic(t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, tr);
	if (rc != TSS2_RC_SUCCESS) {
		*tr = ESYS_TR_NONE;
		return ss_tpm_err(err, rc, "persistent handle 0x%08x", handle);
	}
	rc = Esys_ReadPublic(t->esys, *tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &p, &name,
			     &qn);
	if (rc != TSS2_RC_SUCCESS) {
		*tr = ESYS_TR_NONE;
		return ss_tpm_err(err, rc, "read public area of 0x%08x", handle);
	}
	*pub = *p;
	if (qname)
		*qname = *qn;
	Esys_Free(p);
	Esys_Free(name);
	Esys_Free(qn);
	return SS_OK;
}

int ss_tpm_persistent_name(ss_tpm *t, uint32_t handle, ESYS_TR *tr, TPM2B_NAME *name,
			   ss_err *err)
{
	TPM2B_NAME *n = NULL;
	TSS2_RC rc;

	*tr = ESYS_TR_NONE;
	rc = Esys_TR_FromTPMPublic(t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, tr);
	if (rc != TSS2_RC_SUCCESS) {
		*tr = ESYS_TR_NONE;
		return ss_tpm_err(err, rc, "persistent handle 0x%08x", handle);
	}
	/* ESAPI's copy of the public area, from the ReadPublic it just made:
	 * no second command to the TPM. */
	rc = Esys_TR_GetName(t->esys, *tr, &n);
	if (rc != TSS2_RC_SUCCESS) {
		*tr = ESYS_TR_NONE;
		return ss_tpm_err(err, rc, "name of 0x%08x", handle);
	}
	*name = *n;
	Esys_Free(n);
	return SS_OK;
}

int ss_tpm_properties(ss_tpm *t, uint32_t first, uint32_t count, uint32_t *values,
		      ss_err *err)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	memset(values, 0, count * sizeof *values);
	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, first, count, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, rc, "read TPM properties");
	for (UINT32 i = 0; i < cap->data.tpmProperties.count; i++) {
		const TPMS_TAGGED_PROPERTY *p = &cap->data.tpmProperties.tpmProperty[i];
		if (p->property >= first && p->property - first < count)
			values[p->property - first] = p->value;
	}
	Esys_Free(cap);
	return SS_OK;
}

/* Fallback when the TPM does not say how much one NV_Read may return:
 * every TPM 2.0 accepts this much. */
#define NV_CHUNK_DEFAULT 512

static int nv_read_chunks(ss_tpm *t, uint32_t index, ESYS_TR auth, ESYS_TR nv, uint16_t size,
			  ss_buf *out, ss_err *err)
{
	uint32_t chunk = 0;
	int rc;

	if ((rc = ss_tpm_properties(t, TPM2_PT_NV_BUFFER_MAX, 1, &chunk, err)))
		return rc;
	if (chunk == 0 || chunk > UINT16_MAX)
		chunk = NV_CHUNK_DEFAULT;
	for (uint16_t off = 0; off < size;) {
		uint32_t left = (uint32_t)(size - off);
		uint16_t want = (uint16_t)(left < chunk ? left : chunk);
		TPM2B_MAX_NV_BUFFER *data = NULL;
		TSS2_RC trc = Esys_NV_Read(t->esys, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					   ESYS_TR_NONE, want, off, &data);
		if (trc != TSS2_RC_SUCCESS)
			return ss_tpm_err(err, trc, "read NV index 0x%08x", index);
		if (data->size == 0 || data->size > want) {
			Esys_Free(data);
			return ss_err_set(err, SS_ETPM, "read NV index 0x%08x: bad read size", index);
		}
		ss_buf_add(out, data->buffer, data->size);
		off = (uint16_t)(off + data->size);
		Esys_Free(data);
	}
	return SS_OK;
}

int ss_tpm_nv_read(ss_tpm *t, uint32_t index, ss_buf *out, ss_err *err)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL;
	ESYS_TR nv = ESYS_TR_NONE, auth;
	TPMA_NV attrs;
	uint16_t size;
	TSS2_RC trc;
	int rc;

	trc = Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "NV index 0x%08x", index);
	trc = Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name);
	if (trc != TSS2_RC_SUCCESS) {
		rc = ss_tpm_err(err, trc, "read public area of NV index 0x%08x", index);
		goto out;
	}
	attrs = pub->nvPublic.attributes;
	size = pub->nvPublic.dataSize;
	if (attrs & TPMA_NV_AUTHREAD)
		auth = nv;
	else if (attrs & TPMA_NV_OWNERREAD)
		auth = ESYS_TR_RH_OWNER;
	else {
		rc = ss_err_set(err, SS_ETPM, "NV index 0x%08x: readable neither with its own "
				"authorization nor the owner's", index);
		goto out;
	}
	if (!(attrs & TPMA_NV_WRITTEN)) {
		rc = ss_err_set(err, SS_ETPM, "NV index 0x%08x: never written", index);
		goto out;
	}
	rc = nv_read_chunks(t, index, auth, nv, size, out, err);
out:
	Esys_Free(pub);
	Esys_Free(name);
	return rc;
}

int ss_tpm_persist(ss_tpm *t, ESYS_TR *transient, uint32_t handle, ESYS_TR *persistent,
		   ss_err *err)
{
	bool taken;
	TSS2_RC trc;
	int rc;

	*persistent = ESYS_TR_NONE;
	if ((rc = ss_tpm_has_handle(t, handle, &taken, err)))
		return rc;
	if (taken)
		return ss_err_set(err, SS_ETPM, "persistent handle 0x%08x is already in use", handle);
	trc = Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, *transient, ESYS_TR_PASSWORD,
				ESYS_TR_NONE, ESYS_TR_NONE, handle, persistent);
	if (trc != TSS2_RC_SUCCESS) {
		*persistent = ESYS_TR_NONE;
		return ss_tpm_err(err, trc, "make object persistent at 0x%08x", handle);
	}
	ss_tpm_flush(t, transient);
	return SS_OK;
}

int ss_tpm_evict(ss_tpm *t, ESYS_TR *persistent, uint32_t handle, ss_err *err)
{
	ESYS_TR gone = ESYS_TR_NONE;
	TSS2_RC trc = Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, *persistent, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, handle, &gone);

	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "remove persistent object 0x%08x", handle);
	*persistent = ESYS_TR_NONE;
	return SS_OK;
}
