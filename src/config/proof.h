/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config/daemon-json.h"
#include "config/docker-config.h"

/* The proof that a configuration reads, for the programs that read it at
 * Docker's next start, the way this program read it: dockerd (Go's
 * encoding/json, and "dockerd --validate" where the Engine has it), systemd
 * (units, drop-ins, EnvironmentFile=) and sh (the environment files an init
 * script sources). A plan is only carried out, and Docker only stopped, once
 * its configuration is proved; what cannot be proved is refused, naming the
 * file, line and column, and saying how to fix it.
 *
 * What each reader is held to:
 *   - every file: it could be read whole (a regular file, not a FIFO or a
 *     directory, below the size cap, no NUL byte);
 *   - sh-sourced files: only plain assignments (no command, no $(...), no
 *     unterminated quote), no CR (a DOS line ending stays in the value), no
 *     other control character, valid UTF-8; then the files are sourced by a
 *     real sh, with the init script's own variables set, and the words each
 *     option variable splits into must be the words this program found, and
 *     hold no file name pattern that the init script would expand;
 *   - systemd files: no CR other than before a newline (systemd ends a line
 *     at a lone CR), no other control character and valid UTF-8 in units,
 *     and in EnvironmentFile= values what every systemd version keeps
 *     (config/envfile.c marks the rest);
 *   - daemon.json: daemon_json_check_strict() with the dialect of the
 *     Engine the service runs, then "dockerd --validate" of that dockerd
 *     when it has it (>= 23). */

typedef struct ProofContext {
        int engine_major;    /* the version of the dockerd the service runs; 0 when unknown */
        int engine_minor;
        bool validate;       /* run "dockerd --validate" (on the running host, Engine >= 23) */
        char *dockerd;       /* its path, for --validate */
        char *sh;            /* the shell init scripts run under; NULL when there is none */
} ProofContext;

void proof_context_done(ProofContext *ctx);

/* What is known about the readers for root: on the running host dockerd
 * (the file dockerd names, NULL: the one in PATH) is asked for its
 * version, in "/", within 30 s; for another tree (an offline image)
 * nothing is run, nothing is known and the strictest rules apply. */
int proof_context_init(const char *root, const char *dockerd, ProofContext *ret);

/* proof_context_init() for c->root with the dockerd c's service runs
 * (docker_config_dockerd()). */
int proof_context_init_config(const DockerConfig *c, ProofContext *ret);

/* The Engine's way of reading daemon.json (daemon-json.h). */
JsonDialect proof_json_dialect(const ProofContext *ctx);

/* Proves c (a configuration as docker_config_load() read it, maybe from an
 * overlay of planned contents). Returns 0 when proved, -ECANCELED with the
 * first reason in *ret_refusal when not, a negative errno on failure. */
int config_prove(const DockerConfig *c, const ProofContext *ctx, char **ret_refusal);

/* config_prove() with the context of c->root, for a caller that collects
 * refusals: 1 when refused (the reason appended to *refusals), 0 when
 * proved, a negative errno on failure. */
int config_prove_refusals(const DockerConfig *c, char ***refusals);
