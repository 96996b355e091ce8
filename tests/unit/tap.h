/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A minimal TAP producer: meson's "tap" protocol reads it. Each check prints
 * one "ok"/"not ok" line with the expression and where it is, so a failure
 * names itself. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_ok(int ok, const char *what, const char *file, int line) {
        tap_n++;
        if (!ok)
                tap_failed++;
        printf("%sok %d - %s%s", ok ? "" : "not ", tap_n, what, ok ? "\n" : "");
        if (!ok)
                printf(" (%s:%d)\n", file, line);
        fflush(stdout);
}

#define ok(expr, ...)                                                            \
        do {                                                                     \
                char _d_[512];                                                   \
                snprintf(_d_, sizeof(_d_), __VA_ARGS__);                         \
                tap_ok(!!(expr), _d_, __FILE__, __LINE__);                       \
        } while (0)

#define ok_streq(a, b, ...)                                                                   \
        do {                                                                                  \
                const char *_a_ = (a), *_b_ = (b);                                            \
                int _m_ = (_a_ && _b_) ? strcmp(_a_, _b_) == 0 : _a_ == _b_;                  \
                char _d_[512];                                                                \
                snprintf(_d_, sizeof(_d_), __VA_ARGS__);                                      \
                tap_ok(_m_, _d_, __FILE__, __LINE__);                                         \
                if (!_m_)                                                                     \
                        printf("#   got:      '%s'\n#   expected: '%s'\n", _a_ ?: "(null)", \
                               _b_ ?: "(null)");                                              \
        } while (0)

#define ok_int(a, b, ...)                                                                  \
        do {                                                                               \
                long long _a_ = (a), _b_ = (b);                                            \
                char _d_[512];                                                             \
                snprintf(_d_, sizeof(_d_), __VA_ARGS__);                                   \
                tap_ok(_a_ == _b_, _d_, __FILE__, __LINE__);                               \
                if (_a_ != _b_)                                                            \
                        printf("#   got:      %lld\n#   expected: %lld\n", _a_, _b_);      \
        } while (0)

static inline int tap_done(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

/* The source tree's tests/fixtures, passed by meson. */
static inline const char *fixtures_dir(void) {
        const char *d = getenv("FIXTURES");
        return d ? d : "tests/fixtures";
}
