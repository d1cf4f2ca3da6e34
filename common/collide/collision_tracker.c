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
 * back when freed.  (Not on transparent huge pages: they would spare TLB
 * misses, but where the kernel compacts memory to find them, a fault can
 * stall for as long as the whole check takes.)
 *
 * Faulting fresh memory in (the kernel zeroing it) costs about a third of
 * the check, so it is done ahead, off the tracker's thread: the next index
 * of a table, its next page of entries and the arena's next block are
 * mapped early and a helper thread faults them in (MADV_POPULATE_WRITE,
 * which never changes their contents) while the tracker goes on.  Where
 * the kernel cannot, the tracker faults them itself, as it would anyway. */

#define BIG ((size_t)1 << 20)

struct memory {
	bool running;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	struct { void *p; size_t n; } queue[32];
	unsigned head, tail;
	bool stop;
	uint64_t allocated;    /* bytes mapped for the tables, spares included */
	/* Indexes the tables outgrew: faulted in already, and good for what
	 * need not start zeroed (entry pages, arena blocks). */
	struct { unsigned char *p; size_t n; } outgrown[64];
	int noutgrown;
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

/* An index outgrown: kept for big_alloc_dirty (sizes are whole pages). */
static void big_outgrown(struct memory *m, void *p, size_t n)
{
	if (n >= BIG && m->noutgrown < (int)(sizeof m->outgrown / sizeof m->outgrown[0])) {
		m->outgrown[m->noutgrown].p = p;
		m->outgrown[m->noutgrown].n = n;
		m->noutgrown++;
	} else
		big_free(m, p, n);
}

/* n bytes that the caller writes before reading (entries, text): carved
 * from an outgrown index when one is big enough, which spares the kernel
 * zeroing fresh pages; else fresh (faulted in ahead when asked). */
static void *big_alloc_dirty(struct memory *m, size_t n, bool ahead)
{
	if (n >= BIG)
		for (int i = 0; i < m->noutgrown; i++)
			if (m->outgrown[i].n >= n) {
				void *p = m->outgrown[i].p;
				m->outgrown[i].p += n;
				if (!(m->outgrown[i].n -= n))
					m->outgrown[i] = m->outgrown[--m->noutgrown];
				return p;
			}
	return ahead ? big_alloc_ahead(m, n) : big_alloc(m, n);
}

static void memory_free(struct memory *m)
{
	/* what is left of them is mapped memory, whatever its size */
	for (int i = 0; i < m->noutgrown; i++) {
		m->allocated -= m->outgrown[i].n;
		munmap(m->outgrown[i].p, m->outgrown[i].n);
	}
	m->noutgrown = 0;
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
		a->block[a->nblocks++] =
			a->next_block ? a->next_block : big_alloc_dirty(m, BLOCK_SIZE, false);
		a->next_block = NULL;
		a->used = 0;
	}
	if (!a->next_block && a->used > BLOCK_SIZE / 2)
		a->next_block = big_alloc_dirty(m, BLOCK_SIZE, true);
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
	big_outgrown(m, old, n * sizeof *old);
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

/* Two texts of n bytes: words that stay inside them (identifiers are
 * short, and compared for every record). */
static inline bool same_text(const unsigned char *a, const unsigned char *b, size_t n)
{
	uint32_t x, y;

	if (n >= 8) {
		for (size_t k = 0; k + 8 < n; k += 8)
			if (load64(a + k) != load64(b + k))
				return false;
		return load64(a + n - 8) == load64(b + n - 8);
	}
	if (n >= 4) {
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		if (x != y)
			return false;
		memcpy(&x, a + n - 4, 4);
		memcpy(&y, b + n - 4, 4);
		return x == y;
	}
	for (size_t k = 0; k < n; k++)
		if (a[k] != b[k])
			return false;
	return true;
}

static inline bool same(const struct arena *arena, const struct table *t, const void *e,
			const void *value, size_t len)
{
	const unsigned char *s;

	if (t->kind != TEXT)
		return same_words(e, value, len);
	s = arena_at(arena, load64(e));
	return s[0] == len && same_text(s + 1, value, len);
}

/* The entry holding value (len bytes), made when there is none (*fresh):
 * then the caller sets the rest of it. */
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
		t->page[t->npages++] = t->next_page ? t->next_page
						      : big_alloc_dirty(m, PAGE_ENTRIES * t->esize, false);
		t->next_page = NULL;
	}
	/* What the next steps will need, made ready ahead. */
	if (!t->next_page && (t->count & (PAGE_ENTRIES - 1)) == PAGE_ENTRIES / 2)
		t->next_page = big_alloc_dirty(m, PAGE_ENTRIES * t->esize, true);
	if (!t->next_slot && t->count * 2 > t->mask + 1 && t->bits < INDEX_MAX_BITS &&
	    2 * (t->mask + 1) * sizeof *t->slot >= BIG)
		t->next_slot = big_alloc_ahead(m, 2 * (t->mask + 1) * sizeof *t->slot);
	/* Pages may hold what an outgrown index left: every member of a new
	 * entry is written, here and by the caller, before it is read. */
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

/* What a record of the batch being tracked is, once its tenant is known. */
enum { SKIP, MISSING, TRACKED };

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
	struct found *found;    /* the examples kept, in input order */
	size_t nfound;
	/* A batch is tracked one table at a time (see ss_collision_track). */
	size_t cap;
	unsigned char *class;   /* SKIP, MISSING, TRACKED */
	uint32_t *tenant;       /* tenant entry of each record */
	uint32_t *exec;         /* execution entry, or NO_EXEC */
	struct found *cand;     /* the batch's examples, before they are put in order */
	size_t ncand, cand_cap;
	size_t per_kind[SS_CK_COUNT];
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
	memory_free(&t->memory);
	for (size_t i = 0; i < t->ninputs; i++)
		free(t->inputs[i]);
	free(t->inputs);
	free(t->input_start);
	free(t->found);
	free(t->class);
	free(t->tenant);
	free(t->exec);
	free(t->cand);
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

	if (tenant == NO_TENANT) {
		*out = 0;
		return;
	}
	s = arena_at(&t->arena, load64(entry(&t->tenants, tenant)));
	copy_text(out, (const char *)s + 1, s[0]);
}

static void exec_text(const ss_collision_tracker *t, uint32_t exec, char *out)
{
	const struct exec_entry *e = entry(&t->execs, exec);
	const unsigned char *s = arena_at(&t->arena, e->text);

	copy_text(out, (const char *)s + 1, s[0]);
}

/* One violation: counted, and a candidate example while the batch can
 * still add to the examples (NULL when it cannot: the caller fills in the
 * example otherwise). */
static struct found *violation(ss_collision_tracker *t, enum ss_collision_kind kind,
			       uint64_t first_ord, uint64_t second_ord)
{
	struct found *f;

	t->by_kind[kind]++;
	if (t->per_kind[kind] == t->max_examples - t->nfound)
		return NULL;
	if (t->ncand == t->cand_cap) {
		t->cand_cap = t->cand_cap ? 2 * t->cand_cap : 16;
		t->cand = ss_xrealloc(t->cand, t->cand_cap * sizeof *t->cand);
	}
	t->per_kind[kind]++;
	f = &t->cand[t->ncand++];
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
	struct found *f = violation(t, SS_CK_MISSING_FIELD, ord, ord);
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

static inline void prefetch_slot(const struct table *t, uint64_t h)
{
	__builtin_prefetch(&t->slot[home(t, h >> 32)]);
}

/* Each pass below walks the batch for one table, fetching the index slots
 * of the records AHEAD of it into the cache: the tables outgrow the cache,
 * and a record's values are at random places in them. */
#define AHEAD 12

static bool has(const ss_collision_rec *r, int f)
{
	return r->present & SS_CF_BIT(f);
}

/* Which records take part, and their tenants.  Returns how many records
 * can be tracked (fewer than n past a limit: *rc, err). */
static size_t classify(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n,
		       const char *strings, int *rc, ss_err *err)
{
	const unsigned need = SS_CF_BIT(SS_CF_TENANT) | SS_CF_BIT(SS_CF_EXECUTION) |
			      SS_CF_BIT(SS_CF_BINDING);

	for (size_t i = 0; i < n; i++) {
		const ss_collision_rec *r = &recs[i];
		bool fresh;

		if (t->records + i >= MAX_RECORDS) {
			*rc = ss_err_set(err, SS_EINPUT, "more than %llu records",
					 (unsigned long long)MAX_RECORDS);
			return i;
		}
		t->exec[i] = NO_EXEC;
		if (r->flags & SS_CREC_REFUSAL)
			t->class[i] = SKIP;
		else if ((r->present & need) != need)
			t->class[i] = MISSING;
		else {
			t->class[i] = TRACKED;
			t->tenant[i] = (uint32_t)intern(t, &t->tenants, r, strings, SS_CF_TENANT,
							&fresh);
			if (t->tenant[i] >= NO_TENANT) {
				*rc = ss_err_set(err, SS_EINPUT, "more than %u tenants",
						 NO_TENANT - 1);
				return i;
			}
		}
	}
	return n;
}

static void track_bindings(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const ss_collision_rec *r = &recs[i];
		struct binding_entry *b;
		struct found *f;
		bool fresh;

		if (i + AHEAD < n)
			prefetch_slot(&t->bindings, recs[i + AHEAD].hash[SS_CF_BINDING]);
		if (t->class[i] != TRACKED || !mine(t, r->hash[SS_CF_BINDING]))
			continue;
		b = entry(&t->bindings, find_or_add(&t->memory, &t->arena, &t->bindings,
						    r->hash[SS_CF_BINDING], r->binding,
						    sizeof r->binding, &fresh));
		if (fresh)
			b->first = FIRST(t->tenant[i], t->records + i);
		else if (FIRST_TENANT(b->first) != t->tenant[i] &&
			 (f = violation(t, SS_CK_BINDING_CROSS_TENANT, FIRST_ORD(b->first),
					t->records + i))) {
			ss_hex_encode(r->binding, sizeof r->binding, f->e.value);
			tenant_text(t, FIRST_TENANT(b->first), f->e.first.tenant);
			tenant_text(t, t->tenant[i], f->e.second.tenant);
		}
	}
}

/* The execution entries the key and execution passes need.  One made for a
 * key is known only as the key's execution until a record of its partition
 * gives it a first tenant. */
static void find_executions(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n,
			    const char *strings)
{
	for (size_t i = 0; i < n; i++) {
		const ss_collision_rec *r = &recs[i];
		bool fresh;
		size_t e;

		if (i + AHEAD < n)
			prefetch_slot(&t->execs, recs[i + AHEAD].hash[SS_CF_EXECUTION]);
		if (t->class[i] != TRACKED ||
		    !((has(r, SS_CF_KEY) && mine(t, r->hash[SS_CF_KEY])) ||
		      mine(t, r->hash[SS_CF_EXECUTION])))
			continue;
		e = intern(t, &t->execs, r, strings, SS_CF_EXECUTION, &fresh);
		if (fresh)
			((struct exec_entry *)entry(&t->execs, e))->first = FIRST(NO_TENANT, 0);
		t->exec[i] = (uint32_t)e;
	}
}

static void track_keys(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const ss_collision_rec *r = &recs[i];
		struct key_entry *k;
		struct found *f;
		bool fresh;

		if (i + AHEAD < n && has(&recs[i + AHEAD], SS_CF_KEY))
			prefetch_slot(&t->keys, recs[i + AHEAD].hash[SS_CF_KEY]);
		if (t->class[i] != TRACKED || !has(r, SS_CF_KEY) || !mine(t, r->hash[SS_CF_KEY]))
			continue;
		k = entry(&t->keys, find_or_add(&t->memory, &t->arena, &t->keys, r->hash[SS_CF_KEY],
						r->key_id, sizeof r->key_id, &fresh));
		if (fresh) {
			k->first = FIRST(t->tenant[i], t->records + i);
			k->exec = t->exec[i];
		} else if ((FIRST_TENANT(k->first) != t->tenant[i] || k->exec != t->exec[i]) &&
			   (f = violation(t, SS_CK_KEY_REUSE, FIRST_ORD(k->first), t->records + i))) {
			ss_hex_encode(r->key_id, sizeof r->key_id, f->e.value);
			tenant_text(t, FIRST_TENANT(k->first), f->e.first.tenant);
			tenant_text(t, t->tenant[i], f->e.second.tenant);
			exec_text(t, k->exec, f->e.first.execution);
			exec_text(t, t->exec[i], f->e.second.execution);
			f->e.first.has_execution = f->e.second.has_execution = true;
		}
	}
}

static void track_nonces(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n,
			 const char *strings)
{
	for (size_t i = 0; i < n; i++) {
		const ss_collision_rec *r = &recs[i];
		struct nonce_entry *e;
		struct found *f;
		bool fresh;

		if (t->class[i] != TRACKED || !has(r, SS_CF_NONCE) || !mine(t, r->hash[SS_CF_NONCE]))
			continue;
		e = entry(&t->nonces, intern(t, &t->nonces, r, strings, SS_CF_NONCE, &fresh));
		if (fresh) {
			e->first = FIRST(t->tenant[i], t->records + i);
			memcpy(e->binding, r->binding, sizeof e->binding);
		} else if (!same_words(e->binding, r->binding, sizeof e->binding) &&
			   (f = violation(t, SS_CK_NONCE_REUSE, FIRST_ORD(e->first),
					  t->records + i))) {
			copy_text(f->e.value, strings + r->off[SS_CF_NONCE], r->len[SS_CF_NONCE]);
			tenant_text(t, FIRST_TENANT(e->first), f->e.first.tenant);
			tenant_text(t, t->tenant[i], f->e.second.tenant);
		}
	}
}

static void track_executions(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n,
			     const char *strings)
{
	for (size_t i = 0; i < n; i++) {
		const ss_collision_rec *r = &recs[i];
		struct exec_entry *e;
		struct found *f;

		if (t->class[i] != TRACKED || !mine(t, r->hash[SS_CF_EXECUTION]))
			continue;
		e = entry(&t->execs, t->exec[i]);
		if (FIRST_TENANT(e->first) == NO_TENANT)
			e->first = FIRST(t->tenant[i], t->records + i);
		else if (FIRST_TENANT(e->first) != t->tenant[i] &&
			 (f = violation(t, SS_CK_EXECUTION_CROSS_TENANT, FIRST_ORD(e->first),
					t->records + i))) {
			copy_text(f->e.value, strings + r->off[SS_CF_EXECUTION],
				  r->len[SS_CF_EXECUTION]);
			tenant_text(t, FIRST_TENANT(e->first), f->e.first.tenant);
			tenant_text(t, t->tenant[i], f->e.second.tenant);
		}
	}
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->second_ord != y->second_ord)
		return x->second_ord < y->second_ord ? -1 : 1;
	return (int)x->e.kind - (int)y->e.kind;
}

/* Every table sees the batch's records in input order, one table after
 * the other, which keeps each pass's working set to one table; the
 * counts do not depend on it, and the examples are put back in input
 * order (by record, then kind) before the first ones are kept. */
int ss_collision_track(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n,
		       const char *strings, ss_err *err)
{
	int rc = SS_OK;

	if (n > t->cap) {
		t->cap = n;
		t->class = ss_xrealloc(t->class, n);
		t->tenant = ss_xrealloc(t->tenant, n * sizeof *t->tenant);
		t->exec = ss_xrealloc(t->exec, n * sizeof *t->exec);
	}
	t->ncand = 0;
	memset(t->per_kind, 0, sizeof t->per_kind);
	n = classify(t, recs, n, strings, &rc, err);
	if (!t->part_count || t->part_index == 1)
		for (size_t i = 0; i < n; i++)
			if (t->class[i] == MISSING)
				missing(t, &recs[i], strings, t->records + i);
	track_bindings(t, recs, n);
	find_executions(t, recs, n, strings);
	track_keys(t, recs, n);
	track_nonces(t, recs, n, strings);
	track_executions(t, recs, n, strings);
	if (t->ncand) {
		qsort(t->cand, t->ncand, sizeof *t->cand, cmp_found);
		for (size_t i = 0; i < t->ncand && t->nfound < t->max_examples; i++)
			t->found[t->nfound++] = t->cand[i];
	}
	t->records += n;
	return rc;
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
