/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **k = l; *k; k++)
                free(*k);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

char **strv_copy(char *const *l) {
        _cleanup_strv_free_ char **c = calloc(strv_length(l) + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; l && l[i]; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return NULL;
        }
        return TAKE_PTR(c);
}

bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(k, l)
                if (streq(*k, s))
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **c;

        if (!s)
                return -ENOMEM;
        c = realloc(*l, (n + 2) * sizeof(char *));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_extendfv(char ***l, bool unique, const char *format, va_list ap) {
        char *s;

        if (vasprintf(&s, format, ap) < 0)
                return -ENOMEM;
        if (unique && strv_contains(*l, s)) {
                free(s);
                return 0;
        }
        return strv_consume(l, s);
}

int strv_extendf_full(char ***l, bool unique, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = strv_extendfv(l, unique, format, ap);
        va_end(ap);
        return r;
}

int free_and_asprintf(char **p, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(*p);
        *p = s;
        return 0;
}

int strv_extend_strv(char ***a, char *const *b) {
        STRV_FOREACH(s, b) {
                int r = strv_extend(a, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

char *strv_join(char *const *l, const char *sep) {
        size_t len = 0, sl = strlen(sep);
        char *r, *p;

        STRV_FOREACH(s, l)
                len += strlen(*s) + sl;
        r = p = malloc(len + 1);
        if (!r)
                return NULL;
        *p = '\0';
        STRV_FOREACH(s, l) {
                if (p != r)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *s);
        }
        return r;
}

bool strv_equal(char *const *a, char *const *b) {
        size_t i;

        for (i = 0; a && a[i] && b && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return !(a && a[i]) && !(b && b[i]);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);
        if (n > 1)
                qsort_safe(l, n, sizeof(char *), cmp_str);
}

size_t strv_sort_uniq(char **l) {
        size_t n = strv_length(l), u = 0;

        qsort_safe(l, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++) {
                if (u > 0 && streq(l[u - 1], l[i])) {
                        free(l[i]);
                        continue;
                }
                l[u++] = l[i];
        }
        if (l)
                l[u] = NULL;
        return u;
}

int strv_extend_many(char ***l, ...) {
        va_list ap;
        const char *s;
        int r = 0;

        va_start(ap, l);
        while (r >= 0 && (s = va_arg(ap, const char *)))
                r = strv_extend(l, s);
        va_end(ap);
        return r;
}

int strv_sort_take(char ***l, char ***ret) {
        if (!*l && !(*l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        strv_sort(*l);
        *ret = TAKE_PTR(*l);
        return 0;
}
