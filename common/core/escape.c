#include "ss/escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "ss/utf8.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* Appends to out[*used], keeping room for the NUL; false once full. */
static int put(char *out, size_t outlen, size_t *used, const char *p, size_t n)
{
	if (*used + n + 1 > outlen)
		return 0;
	memcpy(out + *used, p, n);
	*used += n;
	return 1;
}

static int put_hex(char *out, size_t outlen, size_t *used, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', 0, 0 };

	for (size_t i = 0; i < n; i++) {
		e[2] = digits[p[i] >> 4];
		e[3] = digits[p[i] & 15];
		if (!put(out, outlen, used, e, 4))
			return 0;
	}
	return 1;
}

static size_t escape_into(const char *s, size_t n, size_t cut, char *out, size_t outlen,
			  size_t used)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int ok = 1;

	while (i < n && ok) {
		size_t len = ss_utf8_seq(p + i, n - i);
		size_t take = len ? len : 1;

		if (i + take > cut) {
			ok = put(out, outlen, &used, ELLIPSIS, sizeof ELLIPSIS - 1);
			break;
		}
		if (len == 0 || p[i] < 0x20 || p[i] == 0x7f || (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0))
			ok = put_hex(out, outlen, &used, p + i, take);
		else
			ok = put(out, outlen, &used, s + i, take);
		i += take;
	}
	if (outlen)
		out[used] = 0;
	return used;
}

size_t ss_escape(const char *s, size_t n, size_t cut, char *out, size_t outlen)
{
	if (!outlen)
		return 0;
	return escape_into(s, n, cut, out, outlen, 0);
}

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T, LEN_BIG_L };

/* The value of one integer or floating conversion, formatted by snprintf
 * with the spec rebuilt without '*'. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int number(char *tmp, size_t n, const char *spec, char conv, enum length len,
		  va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i':
		switch (len) {
		case LEN_L: return snprintf(tmp, n, spec, va_arg(*ap, long));
		case LEN_LL: return snprintf(tmp, n, spec, va_arg(*ap, long long));
		case LEN_Z: return snprintf(tmp, n, spec, va_arg(*ap, ssize_t));
		case LEN_J: return snprintf(tmp, n, spec, va_arg(*ap, intmax_t));
		case LEN_T: return snprintf(tmp, n, spec, va_arg(*ap, ptrdiff_t));
		default: return snprintf(tmp, n, spec, va_arg(*ap, int));
		}
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		switch (len) {
		case LEN_L: return snprintf(tmp, n, spec, va_arg(*ap, unsigned long));
		case LEN_LL: return snprintf(tmp, n, spec, va_arg(*ap, unsigned long long));
		case LEN_Z: return snprintf(tmp, n, spec, va_arg(*ap, size_t));
		case LEN_J: return snprintf(tmp, n, spec, va_arg(*ap, uintmax_t));
		case LEN_T: return snprintf(tmp, n, spec, va_arg(*ap, ptrdiff_t));
		default: return snprintf(tmp, n, spec, va_arg(*ap, unsigned));
		}
	case 'c':
		return snprintf(tmp, n, spec, va_arg(*ap, int));
	case 'p':
		return snprintf(tmp, n, spec, va_arg(*ap, void *));
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
		if (len == LEN_BIG_L)
			return snprintf(tmp, n, spec, va_arg(*ap, long double));
		return snprintf(tmp, n, spec, va_arg(*ap, double));
	default:
		return -1;
	}
}
#pragma GCC diagnostic pop

static int digits(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < 100000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

size_t ss_vformat(char *out, size_t outlen, const char *fmt, va_list ap)
{
	va_list args;
	size_t used = 0;
	const char *p = fmt;

	if (!outlen)
		return 0;
	va_copy(args, ap);
	while (*p) {
		char flags[8], spec[48], tmp[128];
		const char *lenstr = "";
		enum length len = LEN_NONE;
		int width = -1, prec = -1, nf = 0, w;
		char conv;

		if (*p != '%' || p[1] == '%') {
			if (!put(out, outlen, &used, p, 1))
				break;
			p += *p == '%' ? 2 : 1;
			continue;
		}
		p++;
		while (*p && strchr("-+ #0", *p) && nf < (int)sizeof flags - 1)
			flags[nf++] = *p++;
		flags[nf] = 0;
		if (*p == '*') {
			width = va_arg(args, int);
			p++;
		} else if (*p >= '0' && *p <= '9')
			width = digits(&p);
		if (*p == '.') {
			p++;
			if (*p == '*') {
				prec = va_arg(args, int);
				p++;
			} else
				prec = digits(&p);
		}
		if (p[0] == 'h' && p[1] == 'h') len = LEN_HH, lenstr = "hh", p += 2;
		else if (p[0] == 'l' && p[1] == 'l') len = LEN_LL, lenstr = "ll", p += 2;
		else if (*p == 'h') len = LEN_H, lenstr = "h", p++;
		else if (*p == 'l') len = LEN_L, lenstr = "l", p++;
		else if (*p == 'z') len = LEN_Z, lenstr = "z", p++;
		else if (*p == 'j') len = LEN_J, lenstr = "j", p++;
		else if (*p == 't') len = LEN_T, lenstr = "t", p++;
		else if (*p == 'L') len = LEN_BIG_L, lenstr = "L", p++;
		conv = *p;
		if (!conv)
			break;
		p++;
		if (conv == 's') {
			const char *s = va_arg(args, const char *);
			if (!s)
				s = "(null)";
			used = escape_into(s, strlen(s), prec >= 0 ? (size_t)prec : SS_ESCAPE_CUT, out,
					   outlen, used);
			continue;
		}
		if (conv == 'c' && len == LEN_NONE) {
			char c = (char)va_arg(args, int);
			used = escape_into(&c, 1, 1, out, outlen, used);
			continue;
		}
		if (width >= 0 && prec >= 0)
			snprintf(spec, sizeof spec, "%%%s%d.%d%s%c", flags, width, prec, lenstr, conv);
		else if (width >= 0)
			snprintf(spec, sizeof spec, "%%%s%d%s%c", flags, width, lenstr, conv);
		else if (prec >= 0)
			snprintf(spec, sizeof spec, "%%%s.%d%s%c", flags, prec, lenstr, conv);
		else
			snprintf(spec, sizeof spec, "%%%s%s%c", flags, lenstr, conv);
		w = number(tmp, sizeof tmp, spec, conv, len, &args);
		if (w < 0)
			break; /* %n or a conversion we do not know: stop here */
		if (!put(out, outlen, &used, tmp, strlen(tmp)))
			break;
	}
	va_end(args);
	out[used] = 0;
	return used;
}

size_t ss_format(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = ss_vformat(out, outlen, fmt, ap);
	va_end(ap);
	return n;
}
