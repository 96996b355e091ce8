/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A minimal TAP producer: meson's "tap" protocol reads it. Each check prints
 * one "ok"/"not ok" line with the expression and where it is, so a failure
 * names itself. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

/* Text on a TAP line, or on a diagnostic one, with its newlines shown as
 * "\n" (a raw one would start a line TAP cannot read). */
static inline void tap_put_line(const char *s) {
        for (; *s; s++)
                if (*s == '\n')
                        fputs("\\n", stdout);
                else
                        putchar(*s);
}

static inline void tap_ok(int ok, const char *what, const char *file, int line) {
        tap_n++;
        if (!ok)
                tap_failed++;
        printf("%sok %d - ", ok ? "" : "not ", tap_n);
        tap_put_line(what);
        if (!ok)
                printf(" (%s:%d)", file, line);
        putchar('\n');
        fflush(stdout);
}

/* "#   LABEL 'VALUE'", a value of several lines continued on "#" lines. */
static inline void tap_diag_value(const char *label, const char *v) {
        printf("#   %s '", label);
        for (; v && *v; v++)
                if (*v == '\n')
                        fputs("\n#             ", stdout);
                else
                        putchar(*v);
        printf("%s\n", v ? "'" : "(null)'");
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
                if (!_m_) {                                                                   \
                        tap_diag_value("got:     ", _a_);                                     \
                        tap_diag_value("expected:", _b_);                                     \
                }                                                                             \
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

/* A check that cannot run here, and why ("# SKIP"): for what the machine is,
 * not for what it lacks that tools/install-deps.sh installs. */
static inline void tap_skip(const char *what, const char *why) {
        char d[512];
        snprintf(d, sizeof(d), "%s # SKIP %s", what, why);
        tap_ok(1, d, __FILE__, __LINE__);
}

/* As tests/lib/tap.sh: under CI (CI set, and not "false" or "0") a missing
 * dependency (a program, root) fails the check instead of skipping it. */
static inline int tap_under_ci(void) {
        const char *ci = getenv("CI");
        return ci && *ci && strcmp(ci, "false") != 0 && strcmp(ci, "0") != 0;
}

/* One check needs DEP, which is missing. */
static inline void tap_skip_missing(const char *what, const char *dep) {
        char d[512];
        if (tap_under_ci()) {
                tap_ok(0, what, __FILE__, __LINE__);
                printf("#   needs %s, which is missing: under CI that is a failure\n", dep);
                return;
        }
        snprintf(d, sizeof(d), "%s # SKIP needs %s", what, dep);
        tap_ok(1, d, __FILE__, __LINE__);
}

/* The whole test needs DEP, which is missing: its exit status. Before any
 * check. */
static inline int tap_skip_all_missing(const char *dep) {
        const char *status = getenv("TAP_SKIP_STATUS");
        if (tap_under_ci()) {
                printf("not ok 1 - needs %s\n#   it is missing: under CI that is a failure\n1..1\n", dep);
                return 1;
        }
        printf("1..0 # SKIP needs %s\n", dep);
        return status ? atoi(status) : 77;
}

static inline int tap_done(void) {
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

/* The source tree's tests/fixtures, passed by meson. */
static inline const char *fixtures_dir(void) {
        const char *d = getenv("FIXTURES");
        return d ? d : "tests/fixtures";
}
