/* EK certificates, PEM (tcg/ek_cert.c), as ss.identity.v1 carries them.
 * One certificate or SS_EINPUT; an accepted one meets the TCG EK profile
 * or is refused with the reason (SS_REFUSED), and its key is its own. */
#include "harness.h"

#include "ss/ek_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int refused[] = { SS_REFUSED, 0 };
	ss_ekcert c = { 0 };
	ss_err err = { 0 };
	int rc = ss_ekcert_parse((const char *)data, size, &c, &err);

	fuzz_check_input(rc, &err);
	if (!rc) {
		rc = ss_ekcert_check_profile(&c, &err);
		fuzz_check_rc(rc, &err, refused);
		if (ss_ekcert_key(&c)) {
			rc = ss_ekcert_check_key(&c, ss_ekcert_key(&c), &err);
			FUZZ_CHECK(rc == SS_OK, "its own key refused: %s", err.msg);
		}
	}
	ss_ekcert_free(&c);
	return 0;
}
