#include "ss/tpm2_tools.h"

#include <string.h>

int ss_pcrsel_from_tpml(const TPML_PCR_SELECTION *l, ss_pcrsel *out)
{
	const TPMS_PCR_SELECTION *s;

	if (l->count != 1)
		return 0;
	s = &l->pcrSelections[0];
	if (s->sizeofSelect < 3 || s->sizeofSelect > sizeof s->pcrSelect)
		return 0;
	for (unsigned i = 3; i < s->sizeofSelect; i++)
		if (s->pcrSelect[i])
			return 0;
	out->hash = ss_hash_by_alg(s->hash);
	out->mask = (uint32_t)s->pcrSelect[0] | (uint32_t)s->pcrSelect[1] << 8 |
		    (uint32_t)s->pcrSelect[2] << 16;
	return out->hash && out->mask;
}

/* The serialized form: exactly a TPML_PCR_SELECTION, a UINT32, and count
 * TPML_DIGESTs (tpm2-tools reads at most 8 per TPM2_PCR_Read). */
static int serialized(const uint8_t *p, size_t n, ss_pcrsel *sel,
		      uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST], ss_err *err)
{
	TPML_PCR_SELECTION l;
	TPML_DIGEST d;
	uint32_t count;
	size_t off = sizeof l + sizeof count, vi = 0, di = 0;

	memcpy(&l, p, sizeof l);
	memcpy(&count, p + sizeof l, sizeof count);
	if (!ss_pcrsel_from_tpml(&l, sel))
		return ss_err_set(err, SS_EINPUT, "PCR file: not a selection of one known bank");
	if (count == 0 || count > SS_PCR_COUNT || n != off + (size_t)count * sizeof d)
		return ss_err_set(err, SS_EINPUT, "PCR file: size does not match its digest count");
	memcpy(&d, p + off, sizeof d);
	if (d.count > sizeof d.digests / sizeof d.digests[0])
		return ss_err_set(err, SS_EINPUT, "PCR file: bad digest count");
	for (unsigned i = 0; i < SS_PCR_COUNT; i++) {
		if (!(sel->mask & (1u << i)))
			continue;
		while (di >= d.count) {
			if (++vi >= count)
				return ss_err_set(err, SS_EINPUT, "PCR file: fewer digests than PCRs");
			memcpy(&d, p + off + vi * sizeof d, sizeof d);
			di = 0;
			if (d.count > sizeof d.digests / sizeof d.digests[0])
				return ss_err_set(err, SS_EINPUT, "PCR file: bad digest count");
		}
		if (d.digests[di].size != sel->hash->size)
			return ss_err_set(err, SS_EINPUT, "PCR file: digest of %u bytes in a %s bank",
					  d.digests[di].size, sel->hash->name);
		memcpy(values[i], d.digests[di].buffer, sel->hash->size);
		di++;
	}
	if (di != d.count || vi + 1 != count)
		return ss_err_set(err, SS_EINPUT, "PCR file: more digests than PCRs");
	return SS_OK;
}

int ss_tpm2tools_pcrs(const uint8_t *p, size_t n, const ss_pcrsel *quoted, ss_pcrsel *sel,
		      uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST], ss_err *err)
{
	size_t k = 0;

	if (n >= sizeof(TPML_PCR_SELECTION) + sizeof(uint32_t) &&
	    (n - sizeof(TPML_PCR_SELECTION) - sizeof(uint32_t)) % sizeof(TPML_DIGEST) == 0)
		return serialized(p, n, sel, values, err);
	if (!quoted || !quoted->hash)
		return ss_err_set(err, SS_EINPUT, "PCR file: unknown format");
	/* The values form: one digest per PCR the quote selects. */
	*sel = *quoted;
	if (n % quoted->hash->size)
		return ss_err_set(err, SS_EINPUT,
				  "PCR file: %zu bytes is neither tpm2-tools form for %s PCRs", n,
				  quoted->hash->name);
	if (n != (size_t)ss_pcrsel_count(quoted) * quoted->hash->size)
		return ss_err_set(err, SS_REFUSED, "PCR file holds %zu %s values, the quote selects %d",
				  n / quoted->hash->size, quoted->hash->name, ss_pcrsel_count(quoted));
	for (unsigned i = 0; i < SS_PCR_COUNT; i++)
		if (quoted->mask & (1u << i)) {
			memcpy(values[i], p + k, quoted->hash->size);
			k += quoted->hash->size;
		}
	return SS_OK;
}
