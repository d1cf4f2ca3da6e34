#include "ss/jcs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/err.h"

/* RFC 8785 section 3.2.2.2: escape only '"', '\\' and controls; the usual
 * short forms where JSON has them, otherwise \u00XX in lowercase hex. */
void ss_jcs_string(const char *s, ss_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0;

	/* Most strings (identifiers, hex, times) need no escape: one copy.
	 * Batch tools write several per record. */
	while (p[run] >= 0x20 && p[run] != '"' && p[run] != '\\')
		run++;
	if (!p[run]) {
		ss_buf_reserve(out, run + 2);
		out->data[out->len] = '"';
		memcpy(out->data + out->len + 1, p, run);
		out->data[out->len + 1 + run] = '"';
		out->len += run + 2;
		out->data[out->len] = 0;
		return;
	}
	run = 0;
	ss_buf_addc(out, '"');
	for (;; p++) {
		unsigned char c = *p;
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		ss_buf_add(out, p - run, run); /* flush the unescaped run */
		run = 0;
		if (!c)
			break;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
			u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = 0;
			esc = u;
		}
		ss_buf_adds(out, esc);
	}
	ss_buf_addc(out, '"');
}

/* ECMAScript Number::toString (ECMA-262 7.1.12.1), which RFC 8785 adopts:
 * the shortest decimal that reads back as the same double, placed in plain
 * or exponential notation by its decimal exponent. */
bool ss_jcs_number(double d, ss_buf *out)
{
	char tmp[40], digits[20];
	int k = 0, n, e10;

	if (isnan(d) || isinf(d))
		return false;
	if (d == 0) {
		ss_buf_addc(out, '0'); /* -0 too */
		return true;
	}
	if (d < 0) {
		ss_buf_addc(out, '-');
		d = -d;
	}
	/* Integers below 2^53 print exactly; the common case for our documents. */
	if (d < 9007199254740992.0 && d == floor(d) && d < 1e21) {
		ss_buf_addf(out, "%.0f", d);
		return true;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is "D.DDDDe+XX" or "De+XX" */
	for (const char *p = tmp; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[k++] = *p;
	digits[k] = 0;
	e10 = atoi(strchr(tmp, 'e') + 1);
	n = e10 + 1; /* value = 0.digits * 10^n */
	if (k <= n && n <= 21) {
		ss_buf_add(out, digits, (size_t)k);
		for (int i = 0; i < n - k; i++)
			ss_buf_addc(out, '0');
	} else if (0 < n && n <= 21) {
		ss_buf_add(out, digits, (size_t)n);
		ss_buf_addc(out, '.');
		ss_buf_add(out, digits + n, (size_t)(k - n));
	} else if (-6 < n && n <= 0) {
		ss_buf_adds(out, "0.");
		for (int i = 0; i < -n; i++)
			ss_buf_addc(out, '0');
		ss_buf_add(out, digits, (size_t)k);
	} else {
		ss_buf_addc(out, digits[0]);
		if (k > 1) {
			ss_buf_addc(out, '.');
			ss_buf_add(out, digits + 1, (size_t)(k - 1));
		}
		ss_buf_addf(out, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	return true;
}

/* Next UTF-16 code unit of a UTF-8 string (input is valid UTF-8: the strict
 * scan checked it).  *pending holds the low surrogate of a pair. */
static unsigned next_unit(const unsigned char **p, unsigned *pending)
{
	const unsigned char *s = *p;
	unsigned cp;

	if (*pending) {
		cp = *pending;
		*pending = 0;
		return cp;
	}
	if (s[0] < 0x80) {
		cp = s[0];
		*p += 1;
	} else if (s[0] < 0xe0) {
		cp = (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		*p += 2;
	} else if (s[0] < 0xf0) {
		cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		*p += 3;
	} else {
		cp = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
		     (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		*p += 4;
		cp -= 0x10000;
		*pending = 0xdc00 | (cp & 0x3ff);
		return 0xd800 | (cp >> 10);
	}
	return cp;
}

static int cmp_utf16(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)(*(const cJSON *const *)a)->string;
	const unsigned char *y = (const unsigned char *)(*(const cJSON *const *)b)->string;
	unsigned px = 0, py = 0;

	for (;;) {
		bool ex = !*x && !px, ey = !*y && !py;
		unsigned ux, uy;
		if (ex || ey)
			return ex && ey ? 0 : ex ? -1 : 1;
		ux = next_unit(&x, &px);
		uy = next_unit(&y, &py);
		if (ux != uy)
			return ux < uy ? -1 : 1;
	}
}

static bool write_value(const cJSON *v, const char *skip, ss_buf *out);

static bool write_object(const cJSON *v, const char *skip, ss_buf *out)
{
	const cJSON *c, *stack[16], **members = stack;
	size_t n = 0, i;
	bool ok = true, first = true;

	for (c = v->child; c; c = c->next)
		n++;
	if (n > sizeof stack / sizeof stack[0])
		members = ss_xmalloc(n * sizeof *members);
	for (c = v->child, i = 0; c; c = c->next)
		members[i++] = c;
	qsort(members, n, sizeof *members, cmp_utf16);
	ss_buf_addc(out, '{');
	for (i = 0; i < n && ok; i++) {
		if (skip && strcmp(members[i]->string, skip) == 0)
			continue;
		if (!first)
			ss_buf_addc(out, ',');
		first = false;
		ss_jcs_string(members[i]->string, out);
		ss_buf_addc(out, ':');
		ok = write_value(members[i], NULL, out);
	}
	ss_buf_addc(out, '}');
	if (members != stack)
		free(members);
	return ok;
}

static bool write_value(const cJSON *v, const char *skip, ss_buf *out)
{
	switch (v->type & 0xff) {
	case cJSON_NULL:
		ss_buf_adds(out, "null");
		return true;
	case cJSON_True:
		ss_buf_adds(out, "true");
		return true;
	case cJSON_False:
		ss_buf_adds(out, "false");
		return true;
	case cJSON_Number:
		return ss_jcs_number(v->valuedouble, out);
	case cJSON_String:
		ss_jcs_string(v->valuestring, out);
		return true;
	case cJSON_Array:
		ss_buf_addc(out, '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			if (!write_value(c, NULL, out))
				return false;
			if (c->next)
				ss_buf_addc(out, ',');
		}
		ss_buf_addc(out, ']');
		return true;
	case cJSON_Object:
		return write_object(v, skip, out);
	default:
		return false;
	}
}

bool ss_jcs_write(const cJSON *v, ss_buf *out)
{
	return write_value(v, NULL, out);
}

bool ss_jcs_write_without(const cJSON *obj, const char *skip, ss_buf *out)
{
	return write_value(obj, skip, out);
}
