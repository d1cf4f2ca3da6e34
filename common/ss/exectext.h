/* ss.execution.v1 straight from its text, for streams of contexts.
 *
 * ss_execution_parse_text gives exactly the verdict, message and result of
 * ss_json_parse followed by ss_execution_parse, without building a tree
 * for the common shape: after the strict scan (ss_json_validate: UTF-8,
 * nesting, numbers, size, trailing data), an object whose members are the
 * five known names once each, every value a string without escapes and
 * valid for its member, is read in place.  Anything else - an escape, an
 * unknown or repeated member, a wrong type or value - goes through the tree
 * parser, which then produces the error message.  test_exectext holds the
 * two paths to the same answers over mutated inputs. */
#ifndef SS_EXECTEXT_H
#define SS_EXECTEXT_H

#include <stddef.h>

#include "ss/err.h"
#include "ss/execution.h"

int ss_execution_parse_text(const char *text, size_t len, ss_execution *out, ss_err *err);

#endif
