/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config/envfile.h"
#include "config/source.h"
#include "config/text.h"

/* docker.service as systemd would load it from disk: the unit file found
 * first in the search path, its drop-ins in systemd's order, and from them the
 * [Service] settings that decide dockerd's command line. */

typedef struct UnitExecStart {
        Text value;          /* the value, prefixes (-@:+!) stripped; offsets into src */
        uint32_t src;
        unsigned line;
        size_t raw_start;    /* byte range of the whole value (prefixes kept) in src */
        size_t raw_end;
} UnitExecStart;

typedef struct UnitInfo {
        char *name;           /* "docker.service" */
        char *fragment;       /* unit file path, NULL when there is none */
        bool masked;
        char **dropins;       /* applied in this order */
        UnitExecStart *exec;  /* the ExecStart= lines in effect */
        size_t n_exec;
        char **env_files;     /* EnvironmentFile= values in effect, "-" prefix kept */
        Env environment;      /* Environment= assignments */
        char **unset_env;     /* UnsetEnvironment= entries in effect: NAME, or NAME=VALUE */
        char **problems;
        char **unprovable;    /* settings whose effect is not known here: "FILE:LINE: why" (also in problems) */
} UnitInfo;

void unit_info_done(UnitInfo *u);

/* The directories systemd searches for unit files, highest priority first. */
extern const char *const unit_search_path[];

/* Loads unit name ("docker.service") from the files under s->root.
 * -ENOENT when there is no such unit. */
int unit_load(SourceSet *s, const char *name, UnitInfo *ret);

/* Reads one unit file or drop-in already in s (id) into u, as unit_load()
 * does for each file it finds: sections, comments, continuation lines, and
 * the [Service] settings ExecStart=, EnvironmentFile=, Environment=. */
int unit_parse_file(UnitInfo *u, SourceSet *s, uint32_t id);

/* Splits an ExecStart= value into words the way systemd does (quotes, C
 * escapes), then expands $VAR (split at whitespace, quotes removed) and ${VAR} (in place)
 * from env. Returns the words with their origins. */
int unit_exec_to_words(const Text *value, const Env *env, WordList *ret, char ***problems);
