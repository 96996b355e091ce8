/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/text.h"

/* dockerd's command line the way its flag parser (pflag) reads it:
 * "--name=value", "--name value", "-x value", "-xvalue", "-x=value", boolean
 * flags without a value. */

typedef struct DockerFlag {
        char *name;        /* canonical long name: "data-root", "graph", "host", ... */
        char *value;       /* NULL for a boolean given without value */
        size_t word;       /* index of the word that holds the flag */
        size_t value_word; /* index of the word that holds the value (== word when inline) */
        bool inline_value; /* "--x=v", "-xv", "-x=v" */
        bool combined;     /* the word holds other shorthand flags too: "-Dg /x" */
} DockerFlag;

typedef struct DockerFlags {
        DockerFlag *flags;
        size_t n;
        size_t first_arg; /* index of the first flag word (after dockerd / "docker daemon") */
} DockerFlags;

void docker_flags_done(DockerFlags *f);

int docker_flags_parse(const WordList *argv, DockerFlags *ret);

/* Whether characters of argv whose value is not known here (TEXT_UNKNOWN:
 * a unit specifier such as %H, kept as written) could change what dockerd
 * reads from the flags in names (canonical names, NULL-terminated). Such a
 * character inside the value of another flag is that value's, whatever it
 * is: pflag takes the word after a flag that wants a value as the value,
 * and the rest of "--name=value" or "-xvalue". Anywhere else (the program,
 * a flag's name, a word of its own) it could be any flag. 1 with the first
 * such word in *ret_word, and in *ret_flag the flag of names whose value it
 * is part of, or NULL when it is no flag's value; 0 when there is none. */
int docker_flags_find_unknown(const WordList *argv, const DockerFlags *f, const char *const *names, size_t *ret_word,
        const DockerFlag **ret_flag);

/* The last occurrence of a flag, as pflag keeps it; NULL if absent. */
const DockerFlag *docker_flags_get(const DockerFlags *f, const char *name);

/* The daemon.json key that the same setting has, for conflict detection:
 * "host" → "hosts", "label" → "labels", ...; the name itself for most. */
const char *docker_flag_json_key(const char *name);

/* Flags that only exist on the command line and have no daemon.json twin. */
bool docker_flag_is_cli_only(const char *name);
