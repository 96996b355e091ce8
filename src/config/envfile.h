/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "config/source.h"
#include "config/text.h"

/* Variables as systemd (EnvironmentFile=, Environment=) or a shell sourcing a
 * file (/etc/default/docker, /etc/sysconfig/docker) would set them. Values are
 * Texts, so every character of $DOCKER_OPTS can be traced back to the file and
 * byte that holds it. */

typedef enum EnvSyntax {
        ENV_SYNTAX_SYSTEMD, /* systemd's EnvironmentFile= format: no expansion */
        ENV_SYNTAX_SHELL,   /* a file sourced by sh: quotes, $VAR, export */
} EnvSyntax;

typedef struct EnvVar {
        char *name;
        Text value;
        uint32_t src;  /* the file of the assignment that set it last */
        unsigned line;
} EnvVar;

typedef struct Env {
        EnvVar *vars;
        size_t n;
} Env;

void env_done(Env *e);
const EnvVar *env_get(const Env *e, const char *name);
/* Sets name to value (a copy), replacing an earlier value. */
int env_set(Env *e, const char *name, const Text *value, uint32_t src, unsigned line);
/* Removes name, as systemd's UnsetEnvironment= does: "NAME" whatever its
 * value, "NAME=VALUE" only with exactly that value. */
void env_unset(Env *e, const char *entry);

/* Parses source file id into e (assignments override earlier ones). Lines
 * that are not plain assignments (shell commands, $(...), conditionals) are
 * skipped and described in *ret_problems ("file:line: why"); such a file is
 * marked unsafe to edit in the SourceSet. Returns 0 or a negative errno on
 * allocation failure only. */
int env_parse(Env *e, SourceSet *s, uint32_t id, EnvSyntax syntax, char ***ret_problems);

/* Parses the values of one systemd "Environment=" line (several quoted
 * assignments) whose value starts at t; offsets are kept. */
int env_parse_assignments(Env *e, const Text *t, uint32_t src, unsigned line, char ***ret_problems);

bool env_name_is_valid(const char *name, size_t len);

/* The words sh makes of t when it evaluates it once more, as OpenRC's
 * start does with "eval start-stop-daemon ... -- $command_args": t split at
 * blanks and joined with one space each (the unquoted expansion that hands
 * it to eval), then read as a command line: quotes removed, backslashes,
 * $NAME and ${NAME} of e (split at blanks outside double quotes). 1 with
 * the words in *ret; 0 when sh would do more than that, which this program
 * does not: a command substitution, another '$' construct, a variable e
 * does not set, an operator (';', '|', ...), a '~', a file name pattern, a
 * quote never closed. A '#' that starts a word makes the rest a comment, as
 * for sh. Then *ret_why says what (a sentence), and
 * *ret_src and *ret_off where (TEXT_NO_SOURCE when it was a blank). */
int env_eval_words(const Env *e, const Text *t, WordList *ret, uint32_t *ret_src, size_t *ret_off,
                   const char **ret_why);
