/* EK certificates: what the control plane checks before it trusts an EK.
 *
 *   chain   The certificate must chain, at the given time, to a
 *           self-signed root in the CA bundle (a PEM file of roots and, if
 *           the manufacturer uses them, intermediates; an intermediate may
 *           be given in the bundle only).  The EK certificate itself must
 *           not be a CA.
 *   key     Its public key must be the EK key the runner names.
 *   TPM     The TPM it describes: tpmManufacturer, tpmModel and
 *           tpmVersion (TCG OIDs 2.23.133.2.1/2/3) from the directoryName
 *           of its SubjectAltName, as the TCG EK Credential Profile lays
 *           them out.
 *   profile The rest of that profile (ss_ekcert_check_profile): an EK
 *           certificate is for an EK, not any certificate with its key.
 *
 * Simulator rule.  Whether the TPM is a software TPM is decided here, from
 * the certificate only, never from what the runner says of itself.  It is a
 * simulator when any of these holds:
 *   - the certificate names no TPM manufacturer or no TPM model: nothing
 *     then tells it from a software TPM (fail closed);
 *   - the manufacturer is "id:00001014" (swtpm's, IBM's PCI vendor id, which
 *     is no TCG TPM vendor id) or "id:49424D00" ("IBM", what the reference
 *     TPM code and simulators built on it report);
 *   - the model contains "swtpm", "simulator" or "emulator" (any case);
 *   - the issuer's name contains "swtpm" (any case): swtpm's local CA.
 * The rule can only be as good as the CA bundle: a CA that certifies a
 * software TPM's EK with a hardware vendor's id defeats it, so CAs that
 * issue for simulators belong only in bundles where simulators are meant
 * to enroll.  Virtual TPMs of cloud providers are not simulators by this
 * rule; whether to trust them is the bundle's decision. */
#ifndef SS_EK_CERT_H
#define SS_EK_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ss/crypto.h"
#include "ss/err.h"

#define SS_EKCERT_TEXT_MAX 65     /* TPM attributes, printable ASCII */
#define SS_EKCERT_ISSUER_MAX 1025 /* issuer as RFC 2253 text */

typedef struct ss_ekcert {
	X509 *x509;
	uint8_t der_sha256[SS_SHA256_LEN];
	char issuer[SS_EKCERT_ISSUER_MAX];
	char tpm_manufacturer[SS_EKCERT_TEXT_MAX]; /* "" when the certificate has none */
	char tpm_model[SS_EKCERT_TEXT_MAX];
	char tpm_version[SS_EKCERT_TEXT_MAX];
	bool simulator;                            /* by the rule above */
	const char *simulator_why;                 /* which part of the rule; NULL if not */
} ss_ekcert;

/* Parse one PEM certificate (nothing else may follow it) and apply the
 * simulator rule.  SS_EINPUT when it is not one. */
int ss_ekcert_parse(const char *pem, size_t len, ss_ekcert *out, ss_err *err);
void ss_ekcert_free(ss_ekcert *c);

/* The chain check at time now against a PEM bundle.  A bundle without a
 * certificate, or with anything unreadable, is SS_EINPUT; a certificate it
 * does not vouch for is SS_REFUSED "EK certificate: not issued by a CA in
 * the bundle: <why>". */
int ss_ekcert_verify_chain(const ss_ekcert *c, const char *bundle_pem, size_t bundle_len,
			   int64_t now, ss_err *err);

/* The TCG EK Credential Profile, SS_REFUSED with what is missing: the
 * extended key usage tcg-kp-EKCertificate (2.23.133.8.1), basic
 * constraints saying CA:FALSE, the TPM's manufacturer, model and version
 * in the subject alternative name, and a key usage that fits the EK's
 * algorithm (keyEncipherment for RSA, keyAgreement for ECC). */
int ss_ekcert_check_profile(const ss_ekcert *c, ss_err *err);

/* Whether key is the certified key (SS_REFUSED when not). */
int ss_ekcert_check_key(const ss_ekcert *c, EVP_PKEY *key, ss_err *err);

/* The certified key (owned by the certificate). */
EVP_PKEY *ss_ekcert_key(const ss_ekcert *c);

#endif
