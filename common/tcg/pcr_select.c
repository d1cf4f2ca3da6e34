#include "ss/pcr_select.h"

#include <stdio.h>
#include <string.h>

/* TPM2_ALG_* values (TPM 2.0 Part 2, table 9), spelled here so that this
 * file needs no TPM headers. */
static const ss_hashalg hashes[] = {
	{ "sha1", 0x0004, 20 },
	{ "sha256", 0x000b, 32 },
	{ "sha384", 0x000c, 48 },
	{ "sha512", 0x000d, 64 },
};

const ss_hashalg *ss_hash_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (strcmp(hashes[i].name, name) == 0)
			return &hashes[i];
	return NULL;
}

const ss_hashalg *ss_hash_by_alg(uint16_t alg)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].tpm_alg == alg)
			return &hashes[i];
	return NULL;
}

static bool number(const char **p, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	while (**p >= '0' && **p <= '9') {
		if (++digits > 2)
			return false;
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	*out = v;
	return digits > 0;
}

int ss_pcrsel_parse(const char *s, ss_pcrsel *out, ss_err *err)
{
	const char *colon = strchr(s, ':');
	char bank[16];
	const char *p;

	if (!colon || (size_t)(colon - s) >= sizeof bank)
		return ss_err_set(err, SS_EINPUT,
				  "PCR selection '%s': expected BANK:LIST, e.g. sha256:0,1,2", s);
	memcpy(bank, s, (size_t)(colon - s));
	bank[colon - s] = 0;
	out->hash = ss_hash_by_name(bank);
	if (!out->hash)
		return ss_err_set(err, SS_EINPUT, "PCR selection '%s': unknown bank '%s'", s, bank);
	out->mask = 0;
	p = colon + 1;
	for (;;) {
		unsigned lo, hi;
		if (!number(&p, &lo))
			goto bad;
		hi = lo;
		if (*p == '-') {
			p++;
			if (!number(&p, &hi) || hi < lo)
				goto bad;
		}
		if (hi >= SS_PCR_COUNT)
			return ss_err_set(err, SS_EINPUT, "PCR selection '%s': PCR %u out of range 0-23",
					  s, hi);
		for (unsigned i = lo; i <= hi; i++) {
			if (out->mask & (1u << i))
				return ss_err_set(err, SS_EINPUT,
						  "PCR selection '%s': PCR %u listed twice", s, i);
			out->mask |= 1u << i;
		}
		if (*p == 0)
			return SS_OK;
		if (*p != ',')
			goto bad;
		p++;
	}
bad:
	return ss_err_set(err, SS_EINPUT, "PCR selection '%s': expected BANK:LIST, e.g. sha256:0,1,2 or sha256:0-7", s);
}

int ss_pcrsel_parse_arg(const char *opt, const char *s, ss_pcrsel *out, ss_err *err)
{
	if (ss_pcrsel_parse(s, out, err) == SS_OK)
		return SS_OK;
	if (!err)
		return SS_EUSAGE;
	err->code = SS_EUSAGE;
	return ss_err_prefix(err, "%s", opt);
}

void ss_pcrsel_format(const ss_pcrsel *sel, char *out, size_t outlen)
{
	size_t n = (size_t)snprintf(out, outlen, "%s:", sel->hash->name);
	const char *sep = "";

	for (unsigned i = 0; i < SS_PCR_COUNT && n < outlen; i++)
		if (sel->mask & (1u << i)) {
			n += (size_t)snprintf(out + n, outlen - n, "%s%u", sep, i);
			sep = ",";
		}
}

int ss_pcrsel_count(const ss_pcrsel *sel)
{
	return __builtin_popcount(sel->mask);
}

unsigned ss_hash_bit(uint16_t tpm_alg)
{
	/* The table's order is the bits' order. */
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (hashes[i].tpm_alg == tpm_alg)
			return 1u << i;
	return 0;
}
