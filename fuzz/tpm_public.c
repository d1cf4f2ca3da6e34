/* TPM2B_PUBLIC (tcg/tpm_public.c): a marshaled public area, as
 * tpm2_createak -u writes it and ss.identity.v1 carries it.
 * Accepted exactly when it fills the input; then its name, its key, the
 * AK rules and the names of its attributes work on whatever it holds. */
#include "harness.h"

#include <string.h>

#include <openssl/evp.h>

#include "ss/buf.h"
#include "ss/tpm_public.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int key_errors[] = { SS_EINPUT, SS_ECRYPTO, 0 };
	const char *names[SS_TPM_ATTRIBUTES_MAX], *why;
	uint8_t name[SS_TPM_NAME_MAX];
	ss_buf pem = SS_BUF_INIT, again = SS_BUF_INIT;
	TPM2B_PUBLIC pub;
	EVP_PKEY *pkey = NULL;
	ss_err err = { 0 };
	char alg[32];
	size_t len;
	int rc = ss_tpm2b_public_parse(data, size, &pub, &err);

	fuzz_check_input(rc, &err);
	if (rc)
		return 0;
	ss_tpm2b_public_marshal(&pub, &again);
	FUZZ_CHECK(again.len == size && memcmp(again.data, data, size) == 0,
		   "marshaled again, %zu bytes instead of the %zu read", again.len, size);
	rc = ss_tpm_public_name(&pub.publicArea, name, &len, &err);
	fuzz_check_input(rc, &err);
	rc = ss_tpm_public_to_pkey(&pub.publicArea, &pkey, &err);
	fuzz_check_rc(rc, &err, key_errors);
	rc = ss_tpm_public_pem(&pub.publicArea, &pem, &err);
	fuzz_check_rc(rc, &err, key_errors);
	(void)ss_tpm_public_is_ak(&pub.publicArea, &why);
	(void)ss_tpm_public_is_tcg_ak(&pub.publicArea, &why);
	FUZZ_CHECK(ss_tpm_attribute_names(pub.publicArea.objectAttributes, names) <=
			   SS_TPM_ATTRIBUTES_MAX, "too many attribute names");
	(void)ss_tpm_public_alg(&pub.publicArea, alg, sizeof alg);
	EVP_PKEY_free(pkey);
	ss_buf_free(&pem);
	ss_buf_free(&again);
	return 0;
}
