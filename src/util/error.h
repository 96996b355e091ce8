/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>

#include "util/macro.h"

/* How a failure travels, in every module.
 *
 * A function that can fail returns a negative errno value (converted from
 * -1/errno where the failure happened). When the errno alone cannot tell the
 * person who has to act what went wrong (which unit did not stop, what the
 * Engine answered, which fstab line is in the way, what state a half-done
 * step left behind), the function takes a last parameter
 *
 *         char **ret_error
 *
 * and on failure sets it, through error_set(), to one malloc'ed sentence.
 * It may be NULL when the caller wants the errno only. It is the one output
 * parameter written on failure, and it is left alone on success. A caller
 * that adds context calls error_set() again with the inner text.
 *
 * Nothing else carries a failure's text: no message members in result
 * structs, no "last error" kept in a handle or in the log. Library modules
 * never print; the command layer (src/cmd) reports each failure once — on
 * stderr and, with --json, in the object's "error" — and is the only place
 * that turns a failure into an exit status. A result record that reports a
 * failure as its outcome (the move's report) keeps that text as data, and
 * so does one whose failure left the host changed: the advice of prepare's
 * and grow's results (the state left, what to do) beside the error.
 *
 * A refusal (the request is not safe to carry out) is no failure: a list of
 * reasons in the result, or -ECANCELED with the one reason in a ret_refusal
 * parameter where a single reason stops the work. */

/* Sets *ret_error (when ret_error is not NULL) to the formatted sentence,
 * replacing what it held; "%m" is strerror(error). Returns error, so that
 * "return error_set(ret_error, r, ...);" ends the failing function. */
int error_set(char **ret_error, int error, const char *format, ...) _printf_(3, 4);
int error_setv(char **ret_error, int error, const char *format, va_list ap) _printf_(3, 0);
