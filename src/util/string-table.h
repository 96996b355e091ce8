/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <sys/types.h>

#include "util/macro.h"

/* An enum and its names, both ways, from one table (as systemd's
 * DEFINE_STRING_TABLE_LOOKUP):
 *
 *   static const char *const color_table[] = {
 *           [COLOR_RED] = "red",
 *           [COLOR_GREEN] = "green",
 *   };
 *   DEFINE_STRING_TABLE_LOOKUP(color, Color);
 *
 * defines color_to_string() (NULL for a value outside the table) and
 * color_from_string() (-EINVAL for a name that is not in it; an enum that is
 * read back from strings has a member _X_INVALID = -EINVAL, so that the
 * compiler knows it can be negative). Several values may share a name; a name
 * then reads back as the first of them. */

/* The index of s in table (n entries), or -EINVAL. */
ssize_t string_table_lookup(const char *const *table, size_t n, const char *s);

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                                     \
        const char *name##_to_string(type i) {                                                               \
                return (size_t) i < ELEMENTSOF(name##_table) ? name##_table[i] : NULL;                       \
        }

#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)                                                   \
        type name##_from_string(const char *s) {                                                             \
                return (type) string_table_lookup(name##_table, ELEMENTSOF(name##_table), s);                \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                                               \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)                                                     \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)
