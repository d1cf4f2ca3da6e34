/* A YAML document as a JSON tree, for inputs that operators may write in
 * either language (the VM spec of ss-fc-launch).
 *
 * Only the part of YAML that has one JSON meaning is accepted: one
 * document whose root is a mapping; mapping keys are scalars, each once;
 * no anchors, aliases or explicit tags; at most SS_JSON_MAX_DEPTH levels.
 * Plain scalars "true" and "false" become booleans, "null", "~" and the
 * empty scalar become null, decimal integers within +-2^53 become numbers
 * (leading zeros refused), and every other scalar - and every quoted one -
 * is a string without U+0000.  So the tree obeys the same rules as one
 * that ss_json_parse built, and the same strict reader checks either. */
#ifndef SS_YAML_JSON_H
#define SS_YAML_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ss/err.h"

/* name is how messages call the input ("vm 'vm.yaml'"); errors are
 * SS_EINPUT "<name> line N: why". */
int ss_yaml_to_json(const char *text, size_t len, const char *name, cJSON **out, ss_err *err);

#endif
