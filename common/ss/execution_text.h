/* ss.execution.v1 straight from its text, for streams of contexts.
 *
 * ss_execution_parse_text gives exactly the verdict, message and result of
 * ss_json_parse followed by ss_execution_parse, without building a tree
 * for the common shape, which it reads in one pass: a text that is nothing
 * but one object of the five known members, once each, every value a
 * string of printable ASCII without escapes and valid for its member.  Such
 * a text is valid JSON by construction, so the strict scan would accept it.
 * Anything else - an escape, non-ASCII text, an unknown or repeated member,
 * a wrong type or value, trailing data - goes through the strict scan and
 * the tree parser, which then word the error.  test_exectext holds the two
 * paths to the same answers over mutated inputs. */
#ifndef SS_EXECUTION_TEXT_H
#define SS_EXECUTION_TEXT_H

#include <stddef.h>

#include "ss/err.h"
#include "ss/execution.h"

int ss_execution_parse_text(const char *text, size_t len, ss_execution *out, ss_err *err);

#endif
