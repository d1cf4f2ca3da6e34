#include "ss/timefmt.h"

#include <stdio.h>
#include <string.h>

#include "ss/json.h"
#include "ss/num.h"

void ss_time_format(int64_t t, char out[SS_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, SS_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
	struct tm tm;
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
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = (int64_t)timegm(&tm);
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
