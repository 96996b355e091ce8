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

/* The last occurrence of a flag, as pflag keeps it; NULL if absent. */
const DockerFlag *docker_flags_get(const DockerFlags *f, const char *name);

/* The daemon.json key that the same setting has, for conflict detection:
 * "host" → "hosts", "label" → "labels", ...; the name itself for most. */
const char *docker_flag_json_key(const char *name);

/* Flags that only exist on the command line and have no daemon.json twin. */
bool docker_flag_is_cli_only(const char *name);
