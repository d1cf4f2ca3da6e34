#include "ss/collision_stress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "ss/challenge.h"
#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/execution_key.h"
#include "ss/handshake.h"
#include "ss/json.h"
#include "ss/kdf.h"

/* Executions per round: each thread takes a contiguous share, and the
 * records go to the tracker in order after the round. */
#define ROUND 8192
#define ISSUED_AT 1767225600 /* 2026-01-01T00:00:00Z: any fixed time will do */

/* Bytes drawn from the seed for one execution. */
struct draw {
	uint8_t challenge_id[16];
	uint8_t nonce[SS_NONCE_LEN];
	uint8_t cp_ephemeral[SS_X25519_LEN];
	uint8_t runner_ephemeral[SS_X25519_LEN];
	uint8_t fingerprint[32];
	uint8_t attest[129];  /* the size of a P-256 AK's TPMS_ATTEST for 8 PCRs */
	uint8_t sig[72];
};

struct stress {
	uint64_t tenants, executions;
	uint8_t stream_key[32];
	uint8_t prk[SS_HKDF_PRK_LEN];
	uint8_t pcr[8][32];   /* the fleet's golden PCR values */
};

struct share {
	const struct stress *st;
	uint64_t from, to;    /* executions [from, to) of the round */
	ss_collision_rec *recs;
	ss_buf strings;
	int rc;
	ss_err err;
	EVP_CIPHER_CTX *cipher;
	ss_execkey_batch derive;
	ss_quote quote;
};

static int draw(struct share *s, uint64_t g, struct draw *d)
{
	uint8_t iv[16] = { 0 };
	int n = 0;

	/* ChaCha20's 16-byte IV: a 32-bit block counter, then the nonce; the
	 * execution's number is the nonce. */
	for (int i = 0; i < 8; i++)
		iv[4 + i] = (uint8_t)(g >> (8 * i));
	memset(d, 0, sizeof *d);
	if (EVP_EncryptInit_ex(s->cipher, NULL, NULL, s->st->stream_key, iv) != 1 ||
	    EVP_EncryptUpdate(s->cipher, (unsigned char *)d, &n, (const unsigned char *)d,
			      (int)sizeof *d) != 1)
		return ss_err_ssl(&s->err, "stress: draw bytes");
	return SS_OK;
}

static int one_execution(struct share *s, uint64_t g, ss_collision_rec *session,
			 ss_collision_rec *key)
{
	const struct stress *st = s->st;
	uint64_t tenant = g / st->executions, j = g % st->executions;
	ss_challenge ch;
	ss_evidence ev;
	ss_execkey k;
	struct draw d;
	cJSON *chdoc, *evdoc;
	uint8_t binding[32], key_id[SS_COLLISION_KEY_LEN];
	char hex[65];
	int rc;

	if ((rc = draw(s, g, &d)))
		return rc;
	memset(&ch, 0, sizeof ch);
	memset(&ev, 0, sizeof ev);
	ss_hex_encode(d.challenge_id, sizeof d.challenge_id, hex);
	snprintf(ch.challenge_id, sizeof ch.challenge_id, "ch-%s", hex);
	snprintf(ch.exec.execution_id, sizeof ch.exec.execution_id, "exec-%llu-%llu",
		 (unsigned long long)tenant, (unsigned long long)j);
	snprintf(ch.exec.tenant_id, sizeof ch.exec.tenant_id, "tenant-%llu",
		 (unsigned long long)tenant);
	snprintf(ch.exec.operator_id, sizeof ch.exec.operator_id, "operator-%llu",
		 (unsigned long long)(tenant % 16));
	ss_hex_encode(d.fingerprint, sizeof d.fingerprint, hex);
	snprintf(ch.exec.fingerprint, sizeof ch.exec.fingerprint, "sha256:%s", hex);
	memcpy(ch.nonce, d.nonce, sizeof ch.nonce);
	ch.sel.hash = ss_hash_by_name("sha256");
	ch.sel.mask = 0xff;
	memcpy(ch.cp_ephemeral, d.cp_ephemeral, sizeof ch.cp_ephemeral);
	ch.issued_at = ISSUED_AT + (int64_t)(g % 86400);
	ch.expires_at = ch.issued_at + 300;

	memcpy(ev.challenge_id, ch.challenge_id, sizeof ev.challenge_id);
	snprintf(ev.runner_id, sizeof ev.runner_id, "runner-%llu", (unsigned long long)tenant);
	memcpy(ev.runner_ephemeral, d.runner_ephemeral, sizeof ev.runner_ephemeral);
	ss_buf_reset(&s->quote.attest);
	ss_buf_reset(&s->quote.sig);
	ss_buf_add(&s->quote.attest, d.attest, sizeof d.attest);
	ss_buf_add(&s->quote.sig, d.sig, sizeof d.sig);
	/* The runner's AK name: its algorithm and a digest of the tenant. */
	{
		uint8_t be[8];
		for (int i = 0; i < 8; i++)
			be[i] = (uint8_t)(tenant >> (56 - 8 * i));
		s->quote.ak_name[0] = 0x00;
		s->quote.ak_name[1] = 0x0b;
		if ((rc = ss_sha256(be, sizeof be, s->quote.ak_name + 2, &s->err)))
			return rc;
	}
	ev.quote = s->quote; /* shallow: the buffers stay the share's */

	chdoc = ss_challenge_to_json(&ch);
	evdoc = ss_evidence_to_json(&ev);
	rc = ss_hs_session_binding(chdoc, evdoc, binding, &s->err);
	cJSON_Delete(chdoc);
	cJSON_Delete(evdoc);
	if (rc)
		return rc;
	if ((rc = ss_execkey_batch_derive(&s->derive, &ch.exec, SS_KEY_ED25519, SS_PURPOSE_DEFAULT,
					  &k, &s->err)))
		return rc;
	if (!ss_hex_decode(k.key_id, SS_KEY_ID_HEX_LEN, key_id, sizeof key_id, NULL)) {
		ss_execkey_wipe(&k);
		return ss_err_set(&s->err, SS_ECRYPTO, "stress: key id is not hex");
	}
	ss_execkey_wipe(&k);

	ss_collision_rec_clear(session);
	ss_collision_rec_set_id(session, &s->strings, SS_CF_TENANT, ch.exec.tenant_id);
	ss_collision_rec_set_id(session, &s->strings, SS_CF_EXECUTION, ch.exec.execution_id);
	ss_collision_rec_set_binding(session, binding);
	ss_collision_rec_set_id(session, &s->strings, SS_CF_NONCE, ch.challenge_id);
	*key = *session;
	key->present &= (uint8_t)~SS_CF_BIT(SS_CF_NONCE);
	ss_collision_rec_set_key(key, key_id);
	return SS_OK;
}

static void *run_share(void *arg)
{
	struct share *s = arg;

	ss_buf_reset(&s->strings);
	for (uint64_t g = s->from; g < s->to && !s->rc; g++) {
		size_t i = 2 * (size_t)(g - s->from);
		s->rc = one_execution(s, g, &s->recs[i], &s->recs[i + 1]);
	}
	return NULL;
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int prepare(struct stress *st, uint64_t seed, ss_err *err)
{
	static const char label[] = "ss-collision-check stress v1";
	uint8_t msg[sizeof label + 8 + 1], root[32];
	int rc;

	memcpy(msg, label, sizeof label); /* with its NUL */
	for (int i = 0; i < 8; i++)
		msg[sizeof label + i] = (uint8_t)(seed >> (56 - 8 * i));
	msg[sizeof label + 8] = 's';
	if ((rc = ss_sha256(msg, sizeof msg, st->stream_key, err)))
		return rc;
	msg[sizeof label + 8] = 'r';
	if ((rc = ss_sha256(msg, sizeof msg, root, err)) ||
	    (rc = ss_hkdf_extract(NULL, 0, root, sizeof root, st->prk, err)))
		return rc;
	for (int i = 0; i < 8; i++) {
		msg[sizeof label + 8] = (uint8_t)('0' + i);
		if ((rc = ss_sha256(msg, sizeof msg, st->pcr[i], err)))
			return rc;
	}
	return SS_OK;
}

int ss_collision_stress_run(ss_collision_tracker *t, uint64_t tenants, uint64_t executions,
			    uint64_t seed, int jobs, ss_progress *prog, ss_collision_stress *out,
			    ss_err *err)
{
	struct stress st = { tenants, executions, { 0 }, { 0 }, { { 0 } } };
	struct share share[64];
	uint64_t total = tenants * executions;
	double t0 = seconds_now(), dt;
	int rc, ready = 0;

	memset(out, 0, sizeof *out);
	memset(share, 0, sizeof share);
	if (jobs < 1)
		jobs = 1;
	if (jobs > 64)
		jobs = 64;
	if ((rc = prepare(&st, seed, err)))
		goto out;
	/* cJSON's hooks, before any thread builds a document. */
	cJSON_Delete(ss_json_new_object());
	for (ready = 0; ready < jobs; ready++) {
		struct share *s = &share[ready];
		s->st = &st;
		s->recs = ss_xcalloc(2 * (ROUND / (size_t)jobs + 1), sizeof *s->recs);
		s->quote.sel.hash = ss_hash_by_name("sha256");
		s->quote.sel.mask = 0xff;
		for (int i = 0; i < 8; i++)
			memcpy(s->quote.pcr[i], st.pcr[i], 32);
		s->quote.ak_name_len = 34;
		s->cipher = EVP_CIPHER_CTX_new();
		if (!s->cipher ||
		    EVP_EncryptInit_ex(s->cipher, EVP_chacha20(), NULL, NULL, NULL) != 1) {
			rc = ss_err_ssl(err, "stress: ChaCha20");
			ready++;
			goto out;
		}
		if ((rc = ss_execkey_batch_init(&s->derive, st.prk, err))) {
			ready++;
			goto out;
		}
	}
	ss_collision_tracker_input(t, "stress");

	for (uint64_t base = 0; base < total; base += ROUND) {
		uint64_t n = total - base < ROUND ? total - base : ROUND;
		uint64_t per = (n + (uint64_t)jobs - 1) / (uint64_t)jobs;
		pthread_t th[64];
		bool started[64] = { false };

		for (int i = 0; i < jobs; i++) {
			struct share *s = &share[i];
			s->from = base + (uint64_t)i * per < base + n ? base + (uint64_t)i * per : base + n;
			s->to = s->from + per < base + n ? s->from + per : base + n;
			s->rc = SS_OK;
			if (i > 0 && s->from < s->to)
				started[i] = pthread_create(&th[i], NULL, run_share, s) == 0;
		}
		run_share(&share[0]);
		for (int i = 1; i < jobs; i++) {
			if (started[i])
				pthread_join(th[i], NULL);
			else if (share[i].from < share[i].to)
				run_share(&share[i]);
		}
		for (int i = 0; i < jobs; i++) {
			struct share *s = &share[i];
			if (s->rc) {
				*err = s->err;
				rc = s->rc;
				goto out;
			}
			if ((rc = ss_collision_track(t, s->recs, 2 * (size_t)(s->to - s->from),
						     (const char *)s->strings.data, err)))
				goto out;
		}
		if (prog)
			ss_progress_add(prog, n);
	}
	dt = seconds_now() - t0;
	out->tenants = tenants;
	out->executions = executions;
	out->seed = seed;
	out->derivations = total;
	out->jobs = jobs;
	out->milliseconds = (uint64_t)(dt * 1000 + 0.5);
	out->per_second = dt > 0 ? (uint64_t)((double)total / dt) : 0;
out:
	for (int i = 0; i < ready; i++) {
		struct share *s = &share[i];
		ss_execkey_batch_free(&s->derive);
		EVP_CIPHER_CTX_free(s->cipher);
		ss_quote_free(&s->quote);
		ss_buf_free(&s->strings);
		free(s->recs);
	}
	ss_wipe(st.prk, sizeof st.prk);
	return rc;
}
