/* tpm2-tss's ESAPI, TCTI loader and response-code decoder, loaded when a
 * TPM is first opened (ss_tpm_open) rather than when a tool starts.
 *
 * Most runs of the tools never talk to a TPM (the control plane's
 * challenge and verify, a derivation without --root-tpm), and linking
 * these libraries costs every run their loading and relocation.  They are
 * the distribution's shared libraries either way, found by their sonames,
 * so a security update reaches the tools without a rebuild.  libtss2-mu
 * (marshalling) stays linked: the quote decoders need it without a TPM.
 *
 * The tss2 names of the functions below are macros for the entries of one
 * table, filled by ss_tss2_load; the calls read as the tss2 API.  Only
 * code that holds an open ss_tpm calls them. */
#ifndef SS_TSS2_LOAD_H
#define SS_TSS2_LOAD_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "ss/err.h"

/* The libraries, by soname. */
#define SS_TSS2_ESYS_LIB "libtss2-esys.so.0"
#define SS_TSS2_TCTILDR_LIB "libtss2-tctildr.so.0"
#define SS_TSS2_RC_LIB "libtss2-rc.so.0"

/* X(library, function) for every function called through the table;
 * the library is esys or tctildr. */
#define SS_TSS2_FUNCTIONS(X)                                                                    \
	X(esys, Esys_ActivateCredential)                                                        \
	X(esys, Esys_Create)                                                                    \
	X(esys, Esys_CreatePrimary)                                                             \
	X(esys, Esys_EvictControl)                                                              \
	X(esys, Esys_Finalize)                                                                  \
	X(esys, Esys_FlushContext)                                                              \
	X(esys, Esys_Free)                                                                      \
	X(esys, Esys_GetCapability)                                                             \
	X(esys, Esys_HMAC)                                                                      \
	X(esys, Esys_Initialize)                                                                \
	X(esys, Esys_Load)                                                                      \
	X(esys, Esys_NV_Read)                                                                   \
	X(esys, Esys_NV_ReadPublic)                                                             \
	X(esys, Esys_PCR_Read)                                                                  \
	X(esys, Esys_PolicyOR)                                                                  \
	X(esys, Esys_PolicySecret)                                                              \
	X(esys, Esys_Quote)                                                                     \
	X(esys, Esys_ReadPublic)                                                                \
	X(esys, Esys_StartAuthSession)                                                          \
	X(esys, Esys_TRSess_SetAttributes)                                                      \
	X(esys, Esys_TR_Close)                                                                  \
	X(esys, Esys_TR_FromTPMPublic)                                                          \
	X(esys, Esys_TR_GetName)                                                                \
	X(esys, Esys_TR_SetAuth)                                                                \
	X(tctildr, Tss2_TctiLdr_Finalize)                                                       \
	X(tctildr, Tss2_TctiLdr_Initialize)

typedef struct ss_tss2_table {
#define SS_TSS2_MEMBER(lib, fn) __typeof__(fn) *fn;
	SS_TSS2_FUNCTIONS(SS_TSS2_MEMBER)
#undef SS_TSS2_MEMBER
} ss_tss2_table;

/* All NULL until ss_tss2_load succeeds. */
extern ss_tss2_table ss_tss2;

/* Load ESAPI and the TCTI loader and fill the table (once per process;
 * later calls return the first outcome).  Failure: SS_ETPM, "load TPM library
 * '<soname>': <why>". */
int ss_tss2_load(ss_err *err);

/* Esys_Free, also before anything is loaded (then p can only be NULL). */
void ss_tss2_free(void *p);

/* Tss2_RC_Decode's text for rc.  The decoder's library is loaded the
 * first time a message needs it, not with the others: a run that goes
 * well never does.  Without it, "TPM error". */
const char *ss_tss2_rc_text(TSS2_RC rc);

/* tss2_load.c itself fills the table by the real names. */
#ifndef SS_TSS2_LOAD_SELF
#define Esys_ActivateCredential (ss_tss2.Esys_ActivateCredential)
#define Esys_Create (ss_tss2.Esys_Create)
#define Esys_CreatePrimary (ss_tss2.Esys_CreatePrimary)
#define Esys_EvictControl (ss_tss2.Esys_EvictControl)
#define Esys_Finalize (ss_tss2.Esys_Finalize)
#define Esys_FlushContext (ss_tss2.Esys_FlushContext)
#define Esys_Free ss_tss2_free
#define Esys_GetCapability (ss_tss2.Esys_GetCapability)
#define Esys_HMAC (ss_tss2.Esys_HMAC)
#define Esys_Initialize (ss_tss2.Esys_Initialize)
#define Esys_Load (ss_tss2.Esys_Load)
#define Esys_NV_Read (ss_tss2.Esys_NV_Read)
#define Esys_NV_ReadPublic (ss_tss2.Esys_NV_ReadPublic)
#define Esys_PCR_Read (ss_tss2.Esys_PCR_Read)
#define Esys_PolicyOR (ss_tss2.Esys_PolicyOR)
#define Esys_PolicySecret (ss_tss2.Esys_PolicySecret)
#define Esys_Quote (ss_tss2.Esys_Quote)
#define Esys_ReadPublic (ss_tss2.Esys_ReadPublic)
#define Esys_StartAuthSession (ss_tss2.Esys_StartAuthSession)
#define Esys_TRSess_SetAttributes (ss_tss2.Esys_TRSess_SetAttributes)
#define Esys_TR_Close (ss_tss2.Esys_TR_Close)
#define Esys_TR_FromTPMPublic (ss_tss2.Esys_TR_FromTPMPublic)
#define Esys_TR_GetName (ss_tss2.Esys_TR_GetName)
#define Esys_TR_SetAuth (ss_tss2.Esys_TR_SetAuth)
#define Tss2_TctiLdr_Finalize (ss_tss2.Tss2_TctiLdr_Finalize)
#define Tss2_TctiLdr_Initialize (ss_tss2.Tss2_TctiLdr_Initialize)
#endif

#endif
