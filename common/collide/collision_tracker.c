#include "ss/collision_tracker.h"

#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ss/enc.h"

/* ---- storage ------------------------------------------------------------
 *
 * Each kind of value has a table: its entries in pages that never move
 * (so an entry's index is its name for good), and an open-addressing index
 * of 8-byte slots, (hash >> 32) << 32 | (entry + 1), probed linearly and
 * kept at most 3/4 full.  A value's home slot is the top bits of its hash,
 * which the slot keeps: the index doubles by one pass over the old slots
 * in order, writing the new ones nearly in order too, without touching an
 * entry or hashing again.  The rest of the upper half spares most probes a
 * look at the entry.  (Partitions are cut from the lower half of the hash,
 * so one partition's values spread over the whole index.)  Identifier text
 * lives in an arena of blocks that never move either, each string behind
 * its length byte. */

#define PAGE_BITS 16
#define PAGE_ENTRIES ((size_t)1 << PAGE_BITS)
#define BLOCK_BITS 22
#define BLOCK_SIZE ((size_t)1 << BLOCK_BITS)
#define INDEX_MIN_BITS 10
#define INDEX_MAX_BITS 32

/* Who saw a value first: tenant (24 bits) and record ordinal (40 bits). */
#define ORD_BITS 40
#define MAX_RECORDS ((uint64_t)1 << ORD_BITS)
#define NO_TENANT ((1u << 24) - 1)
#define NO_EXEC UINT32_MAX
#define FIRST(tenant, ord) ((uint64_t)(tenant) << ORD_BITS | (ord))
#define FIRST_TENANT(f) ((uint32_t)((f) >> ORD_BITS))
#define FIRST_ORD(f) ((f) & (MAX_RECORDS - 1))

struct binding_entry {
	uint8_t v[SS_COLLISION_BINDING_LEN];
	uint64_t first;
};

struct key_entry {
	uint8_t v[SS_COLLISION_KEY_LEN];
	uint64_t first;
	uint32_t exec;  /* entry in the executions' table */
	uint32_t unused;
};

/* Executions, challenge ids and tenants: text in the arena. */
struct exec_entry {
	uint64_t text;
	uint64_t first; /* NO_TENANT: known only as a key's execution */
};

struct nonce_entry {
	uint64_t text;
	uint64_t first;
	uint8_t binding[SS_COLLISION_BINDING_LEN];
};

struct tenant_entry {
	uint64_t text;
};

/* ---- memory -------------------------------------------------------------
 *
 * Big tables are mapped directly, so that their memory comes zeroed by the
 * kernel as it is first touched (malloc would clear it once more) and goes
 * back when freed.  They are read at random, so on 4 KiB pages nearly every
 * access would also miss the TLB: transparent huge pages, where the kernel
 * offers them on request, take that away, and most of the faults.
 *
 * Faulting fresh memory in (the kernel zeroing it) costs about as much as
 * the check itself, so it is done ahead, off the tracker's thread: the next
 * index of a table, its next page of entries and the arena's next block are
 * mapped early and a helper thread faults them in (MADV_POPULATE_WRITE,
 * which never changes their contents) while the tracker goes on.  Where the
 * kernel cannot, the tracker faults them itself, as it would anyway. */

#define BIG ((size_t)1 << 20)

struct memory {
	bool running;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	struct { void *p; size_t n; } queue[32];
	unsigned head, tail;
	bool stop;
	uint64_t allocated;    /* bytes of every table, spares included */
};

static void *populate(void *arg)
{
	struct memory *m = arg;

	pthread_mutex_lock(&m->mu);
	for (;;) {
		void *p;
		size_t n;

		while (!m->stop && m->head == m->tail)
			pthread_cond_wait(&m->wake, &m->mu);
		if (m->stop)
			break;
		p = m->queue[m->head % 32].p;
		n = m->queue[m->head % 32].n;
		m->head++;
		pthread_mutex_unlock(&m->mu);
#ifdef MADV_POPULATE_WRITE
		(void)madvise(p, n, MADV_POPULATE_WRITE);
#else
		(void)p;
		(void)n;
#endif
		pthread_mutex_lock(&m->mu);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

static void memory_init(struct memory *m)
{
	memset(m, 0, sizeof *m);
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->wake, NULL);
	m->running = pthread_create(&m->thread, NULL, populate, m) == 0;
}

static void memory_stop(struct memory *m)
{
	if (m->running) {
		pthread_mutex_lock(&m->mu);
		m->stop = true;
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->mu);
		pthread_join(m->thread, NULL);
		m->running = false;
	}
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->wake);
}

static void *big_alloc(struct memory *m, size_t n)
{
	void *p;

	m->allocated += n;
	if (n < BIG)
		return ss_xcalloc(1, n);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		ss_oom();
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

/* As big_alloc, faulted in by the helper while the caller goes on.  A
 * request the queue has no room for is simply not made. */
static void *big_alloc_ahead(struct memory *m, size_t n)
{
	void *p = big_alloc(m, n);

	if (n >= BIG && m->running) {
		pthread_mutex_lock(&m->mu);
		if (m->tail - m->head < 32) {
			m->queue[m->tail % 32].p = p;
			m->queue[m->tail % 32].n = n;
			m->tail++;
			pthread_cond_signal(&m->wake);
		}
		pthread_mutex_unlock(&m->mu);
	}
	return p;
}

static void big_free(struct memory *m, void *p, size_t n)
{
	if (!p)
		return;
	m->allocated -= n;
	if (n < BIG)
		free(p);
	else
		munmap(p, n);
}

/* ---- tables ------------------------------------------------------------- */

enum value_kind { RAW_BINDING, RAW_KEY, TEXT };

struct table {
	enum value_kind kind;
	size_t esize;
	uint64_t *slot;
	unsigned bits;         /* 2^bits slots */
	size_t mask;           /* slots - 1 */
	size_t count;          /* entries */
	unsigned char **page;
	size_t npages;
	uint64_t *next_slot;   /* the index after this one, once it is half full */
	unsigned char *next_page;
};

struct arena {
	unsigned char **block;
	size_t nblocks;
	size_t used;           /* bytes of the last block */
	unsigned char *next_block;
};

static void arena_free(struct memory *m, struct arena *a)
{
	for (size_t i = 0; i < a->nblocks; i++)
		big_free(m, a->block[i], BLOCK_SIZE);
	big_free(m, a->next_block, BLOCK_SIZE);
	free(a->block);
}

static uint64_t arena_add(struct memory *m, struct arena *a, const char *s, size_t n)
{
	unsigned char *p;

	if (!a->nblocks || a->used + 1 + n > BLOCK_SIZE) {
		a->block = ss_xrealloc(a->block, (a->nblocks + 1) * sizeof *a->block);
		a->block[a->nblocks++] = a->next_block ? a->next_block : big_alloc(m, BLOCK_SIZE);
		a->next_block = NULL;
		a->used = 0;
	}
	if (!a->next_block && a->used > BLOCK_SIZE / 2)
		a->next_block = big_alloc_ahead(m, BLOCK_SIZE);
	p = a->block[a->nblocks - 1] + a->used;
	p[0] = (unsigned char)n;
	memcpy(p + 1, s, n);
	a->used += 1 + n;
	return (uint64_t)(a->nblocks - 1) << BLOCK_BITS | (uint64_t)(a->used - 1 - n);
}

/* The length byte, then the text. */
static inline const unsigned char *arena_at(const struct arena *a, uint64_t ref)
{
	return a->block[ref >> BLOCK_BITS] + (ref & (BLOCK_SIZE - 1));
}

static void table_init(struct memory *m, struct table *t, enum value_kind kind, size_t esize)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->esize = esize;
	t->bits = INDEX_MIN_BITS;
	t->mask = ((size_t)1 << t->bits) - 1;
	t->slot = big_alloc(m, (t->mask + 1) * sizeof *t->slot);
}

static void table_free(struct memory *m, struct table *t)
{
	for (size_t i = 0; i < t->npages; i++)
		big_free(m, t->page[i], PAGE_ENTRIES * t->esize);
	big_free(m, t->next_page, PAGE_ENTRIES * t->esize);
	free(t->page);
	big_free(m, t->slot, (t->mask + 1) * sizeof *t->slot);
	big_free(m, t->next_slot, 2 * (t->mask + 1) * sizeof *t->slot);
}

static inline void *entry(const struct table *t, size_t i)
{
	return t->page[i >> PAGE_BITS] + (i & (PAGE_ENTRIES - 1)) * t->esize;
}

static size_t table_bytes(const struct table *t)
{
	return (t->mask + 1) * sizeof *t->slot + t->npages * PAGE_ENTRIES * t->esize +
	       (t->next_slot ? 2 * (t->mask + 1) * sizeof *t->slot : 0) +
	       (t->next_page ? PAGE_ENTRIES * t->esize : 0);
}

static inline size_t home(const struct table *t, uint64_t tag)
{
	return (size_t)(tag >> (32 - t->bits));
}

static void grow(struct memory *m, struct table *t)
{
	uint64_t *old = t->slot;
	size_t n = t->mask + 1;

	t->bits++;
	t->mask = 2 * n - 1;
	t->slot = t->next_slot ? t->next_slot : big_alloc(m, 2 * n * sizeof *t->slot);
	t->next_slot = NULL;
	for (size_t i = 0; i < n; i++)
		if (old[i]) {
			size_t at = home(t, old[i] >> 32);
			while (t->slot[at])
				at = (at + 1) & t->mask;
			t->slot[at] = old[i];
		}
	big_free(m, old, n * sizeof *old);
}

static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

/* len bytes at a and b (len a multiple of 8: the raw values). */
static inline bool same_words(const void *a, const void *b, size_t len)
{
	uint64_t d = 0;

	for (size_t i = 0; i < len; i += 8)
		d |= load64((const char *)a + i) ^ load64((const char *)b + i);
	return d == 0;
}

static inline bool same(const struct arena *arena, const struct table *t, const void *e,
			const void *value, size_t len)
{
	const unsigned char *s;

	if (t->kind != TEXT)
		return same_words(e, value, len);
	s = arena_at(arena, load64(e));
	return s[0] == len && memcmp(s + 1, value, len) == 0;
}

/* The entry holding value (len bytes), made when there is none (*fresh):
 * a new entry is zero but for its value. */
static size_t find_or_add(struct memory *m, struct arena *arena, struct table *t, uint64_t h,
			  const void *value, size_t len, bool *fresh)
{
	size_t at;
	uint32_t tag = (uint32_t)(h >> 32);
	unsigned char *e;

	if ((t->count + 1) * 4 > (t->mask + 1) * 3 && t->bits < INDEX_MAX_BITS)
		grow(m, t);
	for (at = home(t, tag);; at = (at + 1) & t->mask) {
		uint64_t s = t->slot[at];
		size_t i;

		if (!s)
			break;
		if ((uint32_t)(s >> 32) != tag)
			continue;
		i = (size_t)(uint32_t)s - 1;
		if (same(arena, t, entry(t, i), value, len)) {
			*fresh = false;
			return i;
		}
	}
	if (t->count >= UINT32_MAX - 1)
		ss_oom(); /* 4 billion distinct values of one kind: no memory is that big */
	if ((t->count & (PAGE_ENTRIES - 1)) == 0 && t->count >> PAGE_BITS == t->npages) {
		t->page = ss_xrealloc(t->page, (t->npages + 1) * sizeof *t->page);
		t->page[t->npages++] =
			t->next_page ? t->next_page : big_alloc(m, PAGE_ENTRIES * t->esize);
		t->next_page = NULL;
	}
	/* What the next steps will need, made ready ahead. */
	if (!t->next_page && (t->count & (PAGE_ENTRIES - 1)) == PAGE_ENTRIES / 2)
		t->next_page = big_alloc_ahead(m, PAGE_ENTRIES * t->esize);
	if (!t->next_slot && t->count * 2 > t->mask + 1 && t->bits < INDEX_MAX_BITS &&
	    2 * (t->mask + 1) * sizeof *t->slot >= BIG)
		t->next_slot = big_alloc_ahead(m, 2 * (t->mask + 1) * sizeof *t->slot);
	/* Pages come zeroed (mapped or calloc'ed) and entries are never
	 * reused: a new entry is zero but for what is written here. */
	e = entry(t, t->count);
	if (t->kind == TEXT) {
		uint64_t ref = arena_add(m, arena, value, len);
		memcpy(e, &ref, sizeof ref);
	} else
		memcpy(e, value, len);
	t->slot[at] = (uint64_t)tag << 32 | (uint64_t)(t->count + 1);
	*fresh = true;
	return t->count++;
}

/* ---- the tracker -------------------------------------------------------- */

/* An example as found: ordinals, not yet file and line. */
struct found {
	ss_collision_example e;
	uint64_t first_ord, second_ord;
};

struct ss_collision_tracker {
	uint32_t part_index, part_count;
	size_t max_examples;
	uint64_t records;
	uint64_t by_kind[SS_CK_COUNT];
	struct memory memory;
	struct table bindings, keys, nonces, execs, tenants;
	struct arena arena;
	char **inputs;
	uint64_t *input_start;  /* ordinal of each input's line 1 */
	size_t ninputs;
	struct found *found;
	size_t nfound;
};

ss_collision_tracker *ss_collision_tracker_new(uint32_t part_index, uint32_t part_count,
					       size_t max_examples)
{
	ss_collision_tracker *t = ss_xcalloc(1, sizeof *t);

	t->part_index = part_index;
	t->part_count = part_count;
	t->max_examples = max_examples;
	memory_init(&t->memory);
	table_init(&t->memory, &t->bindings, RAW_BINDING, sizeof(struct binding_entry));
	table_init(&t->memory, &t->keys, RAW_KEY, sizeof(struct key_entry));
	table_init(&t->memory, &t->nonces, TEXT, sizeof(struct nonce_entry));
	table_init(&t->memory, &t->execs, TEXT, sizeof(struct exec_entry));
	table_init(&t->memory, &t->tenants, TEXT, sizeof(struct tenant_entry));
	t->found = ss_xcalloc(max_examples ? max_examples : 1, sizeof *t->found);
	return t;
}

void ss_collision_tracker_free(ss_collision_tracker *t)
{
	if (!t)
		return;
	memory_stop(&t->memory);
	table_free(&t->memory, &t->bindings);
	table_free(&t->memory, &t->keys);
	table_free(&t->memory, &t->nonces);
	table_free(&t->memory, &t->execs);
	table_free(&t->memory, &t->tenants);
	arena_free(&t->memory, &t->arena);
	for (size_t i = 0; i < t->ninputs; i++)
		free(t->inputs[i]);
	free(t->inputs);
	free(t->input_start);
	free(t->found);
	free(t);
}

void ss_collision_tracker_input(ss_collision_tracker *t, const char *name)
{
	t->inputs = ss_xrealloc(t->inputs, (t->ninputs + 1) * sizeof *t->inputs);
	t->input_start = ss_xrealloc(t->input_start, (t->ninputs + 1) * sizeof *t->input_start);
	t->inputs[t->ninputs] = ss_xstrdup(name);
	t->input_start[t->ninputs] = t->records;
	t->ninputs++;
}

uint64_t ss_collision_tracker_records(const ss_collision_tracker *t)
{
	return t->records;
}

static inline bool mine(const ss_collision_tracker *t, uint64_t h)
{
	return !t->part_count ||
	       (uint32_t)(((h & 0xffffffffu) * t->part_count) >> 32) == t->part_index - 1;
}

static void copy_text(char *out, const char *s, size_t n)
{
	memcpy(out, s, n);
	out[n] = 0;
}

static void tenant_text(const ss_collision_tracker *t, uint32_t tenant, char *out)
{
	const unsigned char *s;
	uint64_t ref;

	if (tenant == NO_TENANT) {
		*out = 0;
		return;
	}
	memcpy(&ref, entry(&t->tenants, tenant), sizeof ref);
	s = arena_at(&t->arena, ref);
	copy_text(out, (const char *)s + 1, s[0]);
}

static void exec_text(const ss_collision_tracker *t, uint32_t exec, char *out)
{
	const struct exec_entry *e = entry(&t->execs, exec);
	const unsigned char *s = arena_at(&t->arena, e->text);

	copy_text(out, (const char *)s + 1, s[0]);
}

/* One violation: counted, and kept while there is room for examples.
 * Found in input order, so the first ones kept are the first ones. */
static struct found *violation(ss_collision_tracker *t, enum ss_collision_kind kind,
			       uint64_t first_ord, uint64_t second_ord)
{
	struct found *f;

	t->by_kind[kind]++;
	if (t->nfound == t->max_examples)
		return NULL;
	f = &t->found[t->nfound++];
	memset(f, 0, sizeof *f);
	f->e.kind = kind;
	f->first_ord = first_ord;
	f->second_ord = second_ord;
	return f;
}

static void missing(ss_collision_tracker *t, const ss_collision_rec *r, const char *strings,
		    uint64_t ord)
{
	static const int fields[] = { SS_CF_TENANT, SS_CF_EXECUTION, SS_CF_BINDING };
	struct found *f = violation(t, SS_CK_MISSING_FIELD, ord, 0);
	ss_buf names = SS_BUF_INIT;

	if (!f)
		return;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!(r->present & SS_CF_BIT(fields[i]))) {
			if (names.len)
				ss_buf_addc(&names, ',');
			ss_buf_adds(&names, ss_collision_field_name(fields[i]));
		}
	snprintf(f->e.value, sizeof f->e.value, "%s", ss_buf_str(&names));
	ss_buf_free(&names);
	f->e.first.has_execution = true;
	if (r->present & SS_CF_BIT(SS_CF_TENANT))
		copy_text(f->e.first.tenant, strings + r->off[SS_CF_TENANT], r->len[SS_CF_TENANT]);
	if (r->present & SS_CF_BIT(SS_CF_EXECUTION))
		copy_text(f->e.first.execution, strings + r->off[SS_CF_EXECUTION],
			  r->len[SS_CF_EXECUTION]);
}

static inline size_t intern(ss_collision_tracker *t, struct table *tb, const ss_collision_rec *r,
			    const char *strings, int field, bool *fresh)
{
	return find_or_add(&t->memory, &t->arena, tb, r->hash[field], strings + r->off[field],
			   r->len[field], fresh);
}

/* An execution's entry; one made here is known only as a key's execution
 * until a record of its partition gives it a first tenant. */
static uint32_t exec_entry_of(ss_collision_tracker *t, const ss_collision_rec *r,
			      const char *strings)
{
	bool fresh;
	size_t i = intern(t, &t->execs, r, strings, SS_CF_EXECUTION, &fresh);

	if (fresh)
		((struct exec_entry *)entry(&t->execs, i))->first = FIRST(NO_TENANT, 0);
	return (uint32_t)i;
}

static int track_one(ss_collision_tracker *t, const ss_collision_rec *r, const char *strings,
		     ss_err *err)
{
	const unsigned need = SS_CF_BIT(SS_CF_TENANT) | SS_CF_BIT(SS_CF_EXECUTION) |
			      SS_CF_BIT(SS_CF_BINDING);
	uint64_t ord = t->records;
	uint32_t tenant, exec = NO_EXEC;
	struct found *f;
	bool fresh;

	if (ord >= MAX_RECORDS)
		return ss_err_set(err, SS_EINPUT, "more than %llu records",
				  (unsigned long long)MAX_RECORDS - 1);
	t->records++;
	if (r->flags & SS_CREC_REFUSAL)
		return SS_OK;
	if ((r->present & need) != need) {
		if (!t->part_count || t->part_index == 1)
			missing(t, r, strings, ord);
		return SS_OK;
	}
	tenant = (uint32_t)intern(t, &t->tenants, r, strings, SS_CF_TENANT, &fresh);
	if (tenant >= NO_TENANT) {
		t->records--;
		return ss_err_set(err, SS_EINPUT, "more than %u tenants", NO_TENANT - 1);
	}

	if (mine(t, r->hash[SS_CF_BINDING])) {
		struct binding_entry *b = entry(&t->bindings,
			find_or_add(&t->memory, &t->arena, &t->bindings, r->hash[SS_CF_BINDING],
				    r->binding, sizeof r->binding, &fresh));
		if (fresh)
			b->first = FIRST(tenant, ord);
		else if (FIRST_TENANT(b->first) != tenant &&
			 (f = violation(t, SS_CK_BINDING_CROSS_TENANT, FIRST_ORD(b->first), ord))) {
			ss_hex_encode(r->binding, sizeof r->binding, f->e.value);
			tenant_text(t, FIRST_TENANT(b->first), f->e.first.tenant);
			tenant_text(t, tenant, f->e.second.tenant);
		}
	}

	if ((r->present & SS_CF_BIT(SS_CF_KEY)) && mine(t, r->hash[SS_CF_KEY])) {
		struct key_entry *k;
		exec = exec_entry_of(t, r, strings);
		k = entry(&t->keys, find_or_add(&t->memory, &t->arena, &t->keys, r->hash[SS_CF_KEY],
						r->key_id, sizeof r->key_id, &fresh));
		if (fresh) {
			k->first = FIRST(tenant, ord);
			k->exec = exec;
		} else if ((FIRST_TENANT(k->first) != tenant || k->exec != exec) &&
			   (f = violation(t, SS_CK_KEY_REUSE, FIRST_ORD(k->first), ord))) {
			ss_hex_encode(r->key_id, sizeof r->key_id, f->e.value);
			tenant_text(t, FIRST_TENANT(k->first), f->e.first.tenant);
			tenant_text(t, tenant, f->e.second.tenant);
			exec_text(t, k->exec, f->e.first.execution);
			exec_text(t, exec, f->e.second.execution);
			f->e.first.has_execution = f->e.second.has_execution = true;
		}
	}

	if ((r->present & SS_CF_BIT(SS_CF_NONCE)) && mine(t, r->hash[SS_CF_NONCE])) {
		struct nonce_entry *n = entry(&t->nonces,
			intern(t, &t->nonces, r, strings, SS_CF_NONCE, &fresh));
		if (fresh) {
			n->first = FIRST(tenant, ord);
			memcpy(n->binding, r->binding, sizeof n->binding);
		} else if (memcmp(n->binding, r->binding, sizeof n->binding) != 0 &&
			   (f = violation(t, SS_CK_NONCE_REUSE, FIRST_ORD(n->first), ord))) {
			copy_text(f->e.value, strings + r->off[SS_CF_NONCE], r->len[SS_CF_NONCE]);
			tenant_text(t, FIRST_TENANT(n->first), f->e.first.tenant);
			tenant_text(t, tenant, f->e.second.tenant);
		}
	}

	if (mine(t, r->hash[SS_CF_EXECUTION])) {
		struct exec_entry *e;
		if (exec == NO_EXEC)
			exec = exec_entry_of(t, r, strings);
		e = entry(&t->execs, exec);
		if (FIRST_TENANT(e->first) == NO_TENANT)
			e->first = FIRST(tenant, ord);
		else if (FIRST_TENANT(e->first) != tenant &&
			 (f = violation(t, SS_CK_EXECUTION_CROSS_TENANT, FIRST_ORD(e->first), ord))) {
			copy_text(f->e.value, strings + r->off[SS_CF_EXECUTION],
				  r->len[SS_CF_EXECUTION]);
			tenant_text(t, FIRST_TENANT(e->first), f->e.first.tenant);
			tenant_text(t, tenant, f->e.second.tenant);
		}
	}
	return SS_OK;
}

static inline void prefetch_slot(const struct table *t, uint64_t h)
{
	__builtin_prefetch(&t->slot[home(t, h >> 32)]);
}

/* A few records ahead, the index slots they will probe are fetched into
 * the cache: the tables outgrow it, and a record's values are at random
 * places in them. */
#define AHEAD 8

int ss_collision_track(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n,
		       const char *strings, ss_err *err)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD < n) {
			const ss_collision_rec *a = &recs[i + AHEAD];
			prefetch_slot(&t->bindings, a->hash[SS_CF_BINDING]);
			prefetch_slot(&t->execs, a->hash[SS_CF_EXECUTION]);
			if (a->present & SS_CF_BIT(SS_CF_KEY))
				prefetch_slot(&t->keys, a->hash[SS_CF_KEY]);
			if (a->present & SS_CF_BIT(SS_CF_NONCE))
				prefetch_slot(&t->nonces, a->hash[SS_CF_NONCE]);
		}
		if ((rc = track_one(t, &recs[i], strings, err)))
			return rc;
	}
	return SS_OK;
}

/* ---- results ------------------------------------------------------------ */

static void locate(const ss_collision_tracker *t, uint64_t ord, ss_collision_side *s)
{
	size_t lo = 0, hi = t->ninputs;

	/* The last input that starts at or before ord. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->input_start[mid] <= ord)
			lo = mid;
		else
			hi = mid;
	}
	s->input = (uint32_t)lo;
	s->line = ord - (t->ninputs ? t->input_start[lo] : 0) + 1;
}

void ss_collision_tracker_report(const ss_collision_tracker *t, ss_collision_report *out)
{
	memset(out, 0, sizeof *out);
	out->inputs = ss_xcalloc(t->ninputs ? t->ninputs : 1, sizeof *out->inputs);
	for (size_t i = 0; i < t->ninputs; i++)
		out->inputs[i] = ss_xstrdup(t->inputs[i]);
	out->ninputs = t->ninputs;
	out->part_index = t->part_index;
	out->part_count = t->part_count;
	out->records = t->records;
	memcpy(out->by_kind, t->by_kind, sizeof out->by_kind);
	out->max_examples = t->max_examples;
	out->examples = ss_xcalloc(t->nfound ? t->nfound : 1, sizeof *out->examples);
	for (size_t i = 0; i < t->nfound; i++) {
		ss_collision_example *e = &out->examples[i];
		*e = t->found[i].e;
		locate(t, t->found[i].first_ord, &e->first);
		e->has_second = e->kind != SS_CK_MISSING_FIELD;
		if (e->has_second)
			locate(t, t->found[i].second_ord, &e->second);
	}
	out->nexamples = t->nfound;
}

void ss_collision_tracker_stats(const ss_collision_tracker *t, ss_collision_stats *out)
{
	uint64_t execs = 0;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < t->execs.count; i++)
		execs += FIRST_TENANT(((const struct exec_entry *)entry(&t->execs, i))->first) !=
			 NO_TENANT;
	out->distinct[SS_CF_TENANT] = t->tenants.count;
	out->distinct[SS_CF_EXECUTION] = execs;
	out->distinct[SS_CF_BINDING] = t->bindings.count;
	out->distinct[SS_CF_KEY] = t->keys.count;
	out->distinct[SS_CF_NONCE] = t->nonces.count;
	out->binding_bytes = table_bytes(&t->bindings);
	out->total_bytes = t->memory.allocated + t->max_examples * sizeof *t->found;
}
