/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The reading of variable files, shared by its files and nobody else: the
 * variables, systemd's grammars and the choice between the two (envfile.c),
 * a file sourced by sh (envfile-shell.c). */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/envfile.h"
#include "config/source.h"
#include "util/strv.h"

/* What both grammars share: a problem reported, a file marked unsafe to edit,
 * the rest of a line skipped. */
static inline int add_problem(char ***problems, const SourceFile *f, size_t offset, const char *why) {
        unsigned line, col;
        char *m;

        source_position(f, offset, &line, &col);
        if (asprintf(&m, "%s:%u: %s", f->path, line, why) < 0)
                return -ENOMEM;
        return strv_consume(problems, m);
}

static inline void mark_unsafe(SourceFile *f, size_t offset, const char *why) {
        unsigned line, col;

        if (f->unsafe)
                return;
        source_position(f, offset, &line, &col);
        if (asprintf(&f->unsafe, "%s:%u:%u: %s", f->path, line, col, why) < 0)
                f->unsafe = NULL;
}

static inline size_t skip_to_eol(const char *c, size_t size, size_t i) {
        while (i < size && c[i] != '\n')
                i++;
        return i;
}

/* envfile-shell.c: a file sourced by sh (ENV_SYNTAX_SHELL) */
int envfile_parse_shell(Env *e, SourceSet *s, uint32_t id, char ***problems);
