#include "ss/timefmt.h"

#include <stdio.h>
#include <string.h>

#include "ss/json.h"
#include "ss/num.h"

/* UTC calendar arithmetic (proleptic Gregorian, days counted from
 * 1970-01-01), done here because gmtime_r and timegm load the local time
 * zone (/etc/localtime) on first use, which UTC never needs.  Years are
 * counted in 400-year eras of 146097 days, each year starting on March 1st
 * so that the leap day ends it. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void ss_time_format(int64_t t, char out[SS_TIME_LEN])
{
	int64_t days = (t >= 0 ? t : t - 86399) / 86400, y;
	unsigned secs = (unsigned)(t - days * 86400), m, d;
	char s[64];
	size_t n;

	civil_from_days(days, &y, &m, &d);
	snprintf(s, sizeof s, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d, secs / 3600,
		 secs / 60 % 60, secs % 60);
	/* Only years 0..9999 fit, as RFC 3339 has it. */
	n = strlen(s) < SS_TIME_LEN ? strlen(s) : SS_TIME_LEN - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool ss_time_parse(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se;
	bool leap;

	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 59)
		return false;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

int64_t ss_now(void)
{
	return (int64_t)time(NULL);
}

bool ss_time_or_age(const char *s, int64_t now, int64_t *out)
{
	static const struct { char unit; int64_t seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[16];
	size_t n = strlen(s);
	uint64_t v;

	if (ss_time_parse(s, out))
		return true;
	if (n < 2 || n > sizeof num)
		return false;
	memcpy(num, s, n - 1);
	num[n - 1] = 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (num[i] < '0' || num[i] > '9')
			return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (s[n - 1] == units[i].unit) {
			/* Ages up to ten years: any log this tool wrote. */
			if (!ss_parse_u64(num, 0, 3650 * 86400 / (uint64_t)units[i].seconds, &v))
				return false;
			*out = now - (int64_t)v * units[i].seconds;
			return true;
		}
	return false;
}

int ss_json_time(const cJSON *obj, const char *where, const char *name, int64_t *out,
		 ss_err *err)
{
	const char *s;
	int rc;

	if ((rc = ss_json_string(obj, where, name, &s, err)))
		return rc;
	if (!ss_time_parse(s, out))
		return ss_err_set(err, SS_EINPUT,
				  "member '%s%s%s' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)",
				  where && *where ? where : "", where && *where ? "." : "", name);
	return SS_OK;
}

void ss_json_add_time(cJSON *obj, const char *name, int64_t t)
{
	char s[SS_TIME_LEN];

	ss_time_format(t, s);
	ss_json_add_string(obj, name, s);
}
