/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The configuration files read while working out dockerd's command line, each
 * read once and given an id, so that characters of a Text (text.h) can name
 * the file they came from. Paths are inside the system root. */

/* Who reads a file, and so by which rules it must be proved readable. */
typedef enum SourceRole {
        SOURCE_OTHER,
        SOURCE_UNIT,        /* a systemd unit file or drop-in */
        SOURCE_ENV_SYSTEMD, /* read by systemd's EnvironmentFile= */
        SOURCE_ENV_SHELL,   /* sourced by sh (an init script, OpenRC, upstart) */
        SOURCE_SCRIPT,      /* an init script or upstart job: code, never edited */
        SOURCE_JSON,        /* dockerd's JSON configuration file */
} SourceRole;

typedef struct SourceFile {
        char *path;     /* inside root, as the program that reads it names it */
        char *content;
        size_t size;
        bool vendor;    /* shipped by a package (/usr/lib, /lib): never edited */
        char *unsafe;   /* why the file cannot be edited safely, or NULL */
        SourceRole role;
} SourceFile;

typedef struct SourceSet {
        const char *root;
        SourceFile *files;
        size_t n;
        /* Planned contents that stand in for the files on disk: a plan is
         * checked by evaluating the configuration it would produce before a
         * byte is written. */
        char **overlay_paths;
        char **overlay_contents;
} SourceSet;

void source_set_done(SourceSet *s);

/* Reads path (inside s->root) once; later calls return the same id.
 * -ENOENT when the file does not exist; -EISDIR, -EBADFD (a FIFO, socket or
 * device), -EFBIG (larger than READ_FULL_FILE_MAX), -EBADMSG (a NUL byte)
 * when it is no text file that could be read (source_load_error() says so). */
int source_set_load(SourceSet *s, const char *path, uint32_t *ret_id);

/* "PATH: why it cannot be read, and what to do", for an error of
 * source_set_load(). */
int source_load_error(const SourceSet *s, const char *path, int error, char **ret);

/* Adds a source whose content is given (for tests, D-Bus values). */
int source_set_add(SourceSet *s, const char *path, const char *content, uint32_t *ret_id);

/* Makes path read as content (NULL content: as missing). */
int source_set_overlay(SourceSet *s, const char *path, const char *content);
/* The overlay entry of path: 1 with *ret_content (may be NULL: deleted), 0 if none. */
int source_set_overlay_get(const SourceSet *s, const char *path, const char **ret_content);

SourceFile *source_set_get(SourceSet *s, uint32_t id);

/* 1-based line and column of a byte offset in a source, for messages. */
void source_position(const SourceFile *f, size_t offset, unsigned *ret_line, unsigned *ret_column);

bool path_is_vendor(const char *path);
