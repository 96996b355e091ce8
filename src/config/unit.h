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
        bool no_env;         /* the ':' prefix: systemd expands no $VAR in it */
        bool argv0;          /* the '@' prefix: the second word is argv[0], the arguments follow it */
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

/* The specifiers systemd expands in the settings of unit name (a service
 * that is no template) whose value that name alone decides: %n (the name),
 * %N, %p and %P (the name without its suffix), %i and %I (the instance:
 * empty), %f ("/" and the prefix) and "%%". Appends in to out with those
 * expanded (their characters come from no file). A '%' before a character
 * that is no ASCII letter or digit is kept as written, as systemd keeps it.
 * Any other specifier is copied as written, its two characters marked
 * TEXT_UNKNOWN: one systemd 252 knows has its value from the running
 * system (%H, %m, %v), its manager (%t, %h, %u) or the unit's path (%y),
 * and the first such letter is set in *ret_unknown; one it does not know
 * ("%4" of "%40") makes systemd 252 refuse the setting ("Failed to resolve
 * unit specifiers"), where older versions keep it as written, and the
 * first such is set in *ret_invalid (may be NULL). '\0' when there is none. */
int unit_expand_specifiers(const char *name, const Text *in, Text *out, char *ret_unknown, char *ret_invalid);
/* Why such a specifier makes a setting unknown, for messages. */
#define UNIT_SPECIFIER_UNKNOWN                                                                         \
        "a specifier other than %n, %N, %p, %P, %i, %I, %f and %% takes its value from the running " \
        "system or from systemd's version, not from the unit, and is not expanded here"
/* Why one systemd does not know makes it unknown. */
#define UNIT_SPECIFIER_INVALID                                                                                        \
        "systemd 252 knows no such specifier and ignores the setting (\"Failed to resolve unit specifiers\"; "        \
        "an ExecStart= without the '-' prefix keeps the unit from loading), older versions keep it as "               \
        "written; write \"%%\" for a '%'"

/* Splits ExecStart= line e of unit name into the program and its
 * arguments. With the '@' prefix the word after the program is the
 * argv[0] systemd passes, no argument, and is left out (of a "$NAME" word
 * there, the first word of its value); a line that has no such word
 * systemd ignores, which *ret_unprovable says. The words are
 * split the way systemd does it: quotes and C escapes (one that systemd does not know is kept as written,
 * as systemd keeps it), then in each word the specifiers of
 * unit_expand_specifiers(), then, unless e has the ':' prefix, $VAR (split
 * at whitespace, quotes removed) and ${VAR} (in place) from env. Returns
 * the words with their origins. A specifier whose value is the running
 * system's, in a word or in a ${VAR} value, stays one word: its characters
 * are marked TEXT_UNKNOWN, and whether they matter is the caller's to say
 * (unit_words_unknown() when any does). What keeps the words themselves
 * from being known here (a specifier systemd does not know, a quote that
 * is never closed, a $VAR word whose value holds a specifier) is described
 * in *ret_unprovable, one sentence each, the word read as written. */
int unit_exec_to_words(const UnitExecStart *e, const char *name, const Env *env, WordList *ret,
                       char ***ret_unprovable);

/* Each word of l that holds a character marked TEXT_UNKNOWN, described in
 * *ret_unprovable ("ExecStart= word '...' has ..."): for a caller to whom
 * every word matters. */
int unit_words_unknown(const WordList *l, char ***ret_unprovable);

/* The file that ExecStart= program (its first word; NULL: none) runs, under
 * root: an absolute path as it is, a bare name where systemd looks for it,
 * not in the caller's PATH. *ret is NULL when a bare name is found nowhere,
 * or when program is a relative path, which systemd refuses. */
int unit_exec_program(const char *root, const char *program, char **ret);
