#define SS_TSS2_LOAD_SELF
#include "ss/tss2_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

ss_tss2_table ss_tss2;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static ss_err outcome;

static void *open_lib(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		ss_err_set(&outcome, SS_ETPM, "load TPM library '%s': %s", soname, dlerror());
	return h;
}

/* The table is published whole or not at all: a half-filled one would
 * turn a missing function into a crash later. */
static void load(void)
{
	static const char esys_name[] = SS_TSS2_ESYS_LIB, tctildr_name[] = SS_TSS2_TCTILDR_LIB;
	ss_tss2_table t;
	void *esys, *tctildr, *sym;

	memset(&t, 0, sizeof t);
	if (!(esys = open_lib(esys_name)) || !(tctildr = open_lib(tctildr_name)))
		return;
#define SS_TSS2_LOOKUP(lib, fn)                                                                 \
	if (!(sym = dlsym(lib, #fn))) {                                                         \
		ss_err_set(&outcome, SS_ETPM, "load TPM library '%s': no function %s",          \
			   lib##_name, #fn);                                                    \
		return;                                                                         \
	}                                                                                       \
	memcpy(&t.fn, &sym, sizeof sym);
	SS_TSS2_FUNCTIONS(SS_TSS2_LOOKUP)
#undef SS_TSS2_LOOKUP
	/* The libraries stay loaded for the life of the process: the TCTI
	 * loader keeps the TCTI module it opened. */
	ss_tss2 = t;
	outcome.code = SS_OK;
}

int ss_tss2_load(ss_err *err)
{
	pthread_once(&once, load);
	if (outcome.code != SS_OK && err)
		*err = outcome;
	return outcome.code;
}

void ss_tss2_free(void *p)
{
	if (ss_tss2.Esys_Free)
		ss_tss2.Esys_Free(p);
}

static pthread_once_t rc_once = PTHREAD_ONCE_INIT;
static __typeof__(Tss2_RC_Decode) *rc_decode;

static void load_rc(void)
{
	void *h = dlopen(SS_TSS2_RC_LIB, RTLD_NOW | RTLD_LOCAL), *sym;

	if (h && (sym = dlsym(h, "Tss2_RC_Decode")))
		memcpy(&rc_decode, &sym, sizeof sym);
}

const char *ss_tss2_rc_text(TSS2_RC rc)
{
	pthread_once(&rc_once, load_rc);
	return rc_decode ? rc_decode(rc) : "TPM error";
}
