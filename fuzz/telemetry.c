/* ss-fc-launch verify-telemetry (fc/telemetry.c): a stream of CloudEvents
 * lines checked against one ss.key.v1 record - fuzz-dict: json
 *
 * Input: the key record on the first line, then the stream.  The stream
 * verifies (SS_OK, at least one event), is refused (SS_REFUSED: unsigned,
 * another key, another execution) or is not a stream of events
 * (SS_EINPUT). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ss/json.h"
#include "ss/key_record.h"
#include "ss/telemetry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int allowed[] = { SS_REFUSED, SS_EINPUT, 0 };
	static int fd = -1;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t head = nl ? (size_t)(nl - data) : size, count;
	cJSON *doc = NULL;
	ss_keyrec key;
	ss_err err = { 0 };
	int rc;

	if (fd < 0 && (fd = memfd_create("events", 0)) < 0)
		abort();
	if (!nl || ss_json_parse((const char *)data, head, &doc, NULL) ||
	    ss_keyrec_parse(doc, &key, NULL)) {
		cJSON_Delete(doc);
		return 0;
	}
	cJSON_Delete(doc);
	data += head + 1;
	size -= head + 1;
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	rc = ss_telemetry_verify_stream(fd, "events", &key, &count, &err);
	fuzz_check_rc(rc, &err, allowed);
	FUZZ_CHECK(rc || count > 0, "a stream without events verified");
	return 0;
}
