/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* libFuzzer targets (meson -Dfuzz=true, clang): each feeds its input to one
 * parser of the program, as the program feeds it a file, and aborts where a
 * property the rest of the program relies on does not hold. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string, cut at its first NUL (what a
 * source file is after source_set_load(), which refuses NUL bytes). */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

#define fuzz_assert(expr)                                                                  \
        do {                                                                               \
                if (!(expr)) {                                                             \
                        fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                           \
                }                                                                          \
        } while (0)
