/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config/edit.h"
#include "config/init-system.h"
#include "config/source.h"
#include "config/toml.h"

/* containerd's root and state directories, worked out the way containerd
 * itself does (containerd 1.x and 2.x alike):
 *
 *   - its built-in defaults, /var/lib/containerd and /run/containerd;
 *   - then the config file (--config of containerd.service's ExecStart, or
 *     /etc/containerd/config.toml), then the files of its "imports", then
 *     theirs, breadth first, each file once: a later file's non-empty
 *     top-level "root" or "state" overrides an earlier one. An import is
 *     cleaned and taken relative to the directory of the file that names it;
 *     one with a '*' is a glob whose matches are read in byte order. A
 *     relative glob is the exception: containerd 1.x matches it from its
 *     working directory ("/"), 2.x from the file's directory (containerd
 *     pull request 9746). Which one reads the files is, where such an
 *     import is met, the version of the containerd binary that
 *     containerd.service runs (on the running host), else a main file of
 *     version 3 or later, a format of 2.x (version 2 is read by both);
 *     when neither says, such an import is unprovable (read as 2.x reads
 *     it). A file that does not exist ends the reading there without an
 *     error (the rest is not read), as containerd ignores a "not exist"
 *     error;
 *   - then --root and --state on containerd's command line.
 *
 * A file that is not TOML, or a drop-in whose "version" is higher than the
 * main file's, makes containerd refuse to start: that is the "error" of the
 * result. The dumped configuration ("containerd config dump") is the
 * authority on a live host: containerd_config_dump() of
 * containerd-binary.h reads it and containerd_config_check_dump() names any
 * disagreement with the files. */

#define CONTAINERD_CONFIG_FILE "/etc/containerd/config.toml"
#define CONTAINERD_DEFAULT_ROOT "/var/lib/containerd"
#define CONTAINERD_DEFAULT_STATE "/run/containerd"
#define CONTAINERD_DEFAULT_SOCKET "/run/containerd/containerd.sock"
/* The config version a new config file is written with: read by
 * containerd 1.3 and later, and by 2.x (which migrates it in memory). */
#define CONTAINERD_NEW_FILE_VERSION 2

typedef struct ContainerdFile {
        char *path;   /* inside root, as containerd names it */
        uint32_t src; /* in the sources */
        TomlDoc doc;
        long long version; /* its "version", 0 when it has none */
        char **imports;    /* its imports as containerd resolves them: absolute patterns, in order */
} ContainerdFile;

typedef struct ContainerdConfig {
        const char *root;
        InitSystem init;
        SourceSet sources;

        char *unit_file;      /* containerd.service's file (systemd), NULL when none was read */
        char **argv;          /* its ExecStart, expanded */
        char *config_path;    /* the main file: --config, or the default */
        bool config_from_flag;
        bool config_exists;
        ContainerdFile *files; /* read, in containerd's order: the main file first */
        size_t n_files;
        char **imports;       /* every import pattern met, absolute, in order */
        bool imports_cut;     /* an import that does not exist ended the reading: later ones are not read */

        char *root_dir;       /* the effective root */
        char *root_dir_source; /* a file, "--root in FILE", or "default" */
        ssize_t root_dir_file; /* index in files of the file that sets it, -1 when none does */
        bool root_dir_from_flag;
        char *config_root_dir; /* what the files (and defaults) say, before the flags: what "config dump" shows */
        char *state_dir;
        char *state_dir_source;
        char *config_state_dir;
        char *address;        /* --address, or the default socket */

        char **plugin_dirs;   /* "PLUGIN=PATH" of a plugin's own root_path set in the files */
        char *error;          /* "FILE:LINE:COL: why" that stops containerd from starting; NULL */
        char **warnings;
        char **unprovable;    /* what keeps the configuration containerd reads from being known here:
                               * "FILE:LINE:COL: why" (also in warnings); its root is then not changed */
        char *binary;         /* the containerd containerd.service runs, under root (unit_exec_program());
                               * NULL when no unit names one: the one in PATH */
        int major;            /* the major version of the containerd that reads the files, where it
                               * matters (a relative glob import); 0 when not known */
        bool ask_major;       /* the binary is asked for it where it matters */
} ContainerdConfig;

void containerd_config_done(ContainerdConfig *c);

/* Works out containerd's configuration under root (NULL: the running host).
 * init INIT_UNKNOWN: detect; on systemd containerd.service's ExecStart is
 * read for --config, --root, --state and --address, and for the program it
 * runs. Findings (a file that is not TOML, an import that does not exist)
 * are in the result; errors are I/O and OOM. overlay as for
 * docker_config_load(). */
int containerd_config_load(const char *root, InitSystem init, const SourceSet *overlay, ContainerdConfig *ret);

/* containerd_config_load() for a containerd of major version major (0:
 * not known; CONTAINERD_MAJOR_ASK: the binary the unit runs is asked, once
 * a process, when a relative glob import is met), where
 * containerd_config_load() asks on the running host only. When it is asked
 * and cannot tell, the result's unprovable finding, or warning, says why. */
#define CONTAINERD_MAJOR_ASK (-1)
int containerd_config_load_full(const char *root, InitSystem init, const SourceSet *overlay, int major,
                                ContainerdConfig *ret);

/* Plans setting containerd's root to new_root in exactly one place, every
 * other byte kept:
 *
 *   - the file whose top-level "root" decides now (other files that set it
 *     too, overridden, are named in the plan's notes and left alone);
 *   - else, when the main file imports a glob "DIR/PREFIX*SUFFIX" and no
 *     missing import ends the reading before it, a new file
 *     DIR/PREFIXdocker-relocateSUFFIX with the main file's version;
 *   - else the main file's top-level "root", added after its "version"
 *     (the file is created, version CONTAINERD_NEW_FILE_VERSION, when there
 *     is none).
 *
 * A refusal (-ECANCELED, the reason with file and position in
 * *ret_refusal): the config has an error or is unprovable, the root is set
 * on containerd's command line, the deciding value is not a plain one-line
 * string, new_root needs quoting. An already correct configuration gives an
 * empty plan. */
int containerd_plan_set_root(const ContainerdConfig *c, const char *new_root, EditPlan *ret, char **ret_refusal);

/* Re-reads the configuration with the plan's contents in place and checks
 * that containerd's root would be new_root and that containerd would start
 * (no error). -ECANCELED with a reason otherwise. */
int containerd_plan_verify(const EditPlan *p, const ContainerdConfig *c, const char *new_root, char **ret_refusal);
