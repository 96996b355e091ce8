/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cmd.h"

/* The command line's vocabulary: the commands and the options, each once.
 * main.c parses and explains the command line from these tables, and the
 * shell completion (completion.h) offers what they say: exactly what the
 * parser takes. */

typedef enum Command {
        CMD_STATUS,
        CMD_DISKS,
        CMD_PREPARE,
        CMD_MOVE,
        CMD_SET_DATA_ROOT,
        CMD_ROLLBACK,
        CMD_CLEANUP,
        CMD_GROW,
        _CMD_MAX,
} Command;

/* The commands an option is for: a bit a Command. */
#define CLI_ALL_COMMANDS ((1U << _CMD_MAX) - 1)

typedef struct Verb {
        const char *name;
        const char *args;  /* in the list of commands */
        const char *usage; /* the command's own options, as in the man page's SYNOPSIS */
        const char *summary;
        int min_args, max_args;
        int (*run)(const Options *o);
} Verb;

extern const Verb cli_verbs[_CMD_MAX];

typedef enum OptionId {
        OPT_HELP,
        OPT_VERSION,
        OPT_ROOT,
        OPT_JSON,
        OPT_QUIET,
        OPT_VERBOSE,
        OPT_DRY_RUN,
        OPT_YES,
        OPT_FORCE,
        OPT_DEVICE,
        OPT_MOUNT,
        OPT_FS,
        OPT_LABEL,
        OPT_PARTITION,
        OPT_WIPE,
        OPT_INSTANCE_STORE,
        OPT_WAIT_DEVICE,
        OPT_TO,
        OPT_PRE_COPY,
        OPT_NO_PRE_COPY,
        OPT_COPIER,
        OPT_DELETE_OLD,
        OPT_RESOLVED,
        OPT_CONTAINERD_ROOT,
        _OPT_MAX,
} OptionId;

/* Every option, once: getopt's table, the check that a command takes what
 * it was given, and every --help derive from this. An option a command does
 * not take is a usage error rather than silently ignored (a "--wipe" that
 * does nothing is worse than an error). */
typedef struct Option {
        const char *name;
        char short_name;   /* 0: none */
        const char *arg;   /* the argument's name; NULL: a flag */
        unsigned commands; /* the commands that take it */
        bool general;      /* in [OPTIONS...] before the command, not in its usage */
        const char *help;
} Option;

extern const Option cli_options[_OPT_MAX];

/* The option of that long name (the first len bytes of name), or of which
 * it is the unambiguous abbreviation, as getopt_long() reads the command
 * line; NULL when there is none. */
const Option *cli_option_by_name(const char *name, size_t len);
