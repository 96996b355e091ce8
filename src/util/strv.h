/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/macro.h"

/* NULL-terminated arrays of malloc'ed strings. A NULL strv is the empty one. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
char **strv_copy(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Appends a copy of s. */
int strv_extend(char ***l, const char *s);
/* Appends s itself, taking ownership (freed on failure). */
int strv_consume(char ***l, char *s);
/* Appends the formatted string; with unique, unless the list holds that
 * string already (a finding reported once however often it is found). */
int strv_extendf_full(char ***l, bool unique, const char *format, ...) _printf_(3, 4);
int strv_extendfv(char ***l, bool unique, const char *format, va_list ap) _printf_(3, 0);
#define strv_extendf(l, ...) strv_extendf_full((l), false, __VA_ARGS__)
#define strv_extendf_unique(l, ...) strv_extendf_full((l), true, __VA_ARGS__)
int strv_extend_strv(char ***a, char *const *b);
/* Appends copies of each argument up to a NULL. */
int strv_extend_many(char ***l, ...);
/* Joins with sep; NULL → "". */
char *strv_join(char *const *l, const char *sep);
bool strv_equal(char *const *a, char *const *b);
void strv_sort(char **l);
/* Sorts l and frees every string equal to the one before it, so that each
 * is left once: O(n log n), where building a list with strv_contains()
 * checks is O(n²). Returns the number left. */
size_t strv_sort_uniq(char **l);
/* Hands *l on to *ret sorted, and as an empty list rather than NULL when it
 * has no element (a set of nothing is a set). */
int strv_sort_take(char ***l, char ***ret);

/* Not a list, but its strings' companion: replaces the string *p with the
 * formatted one, freeing the old; on -ENOMEM *p is left as it was (as
 * free_and_strdup() in util/macro.h). */
int free_and_asprintf(char **p, const char *format, ...) _printf_(2, 3);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
