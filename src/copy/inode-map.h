/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/macro.h"

/* The copy engine's record of source inodes with more than one name, so that
 * the second name becomes a hard link to the first one's copy. Keyed by
 * (dev, ino) and holding only inodes with nlink > 1; an entry leaves the map
 * once all its names were seen, so the map stays as small as the set of
 * partly copied link groups. Not thread-safe: the engine locks around it. */

typedef struct InodeLink {
        dev_t dev;
        ino_t ino;
        char *path;     /* the first name's path in the target, relative to its root */
        ino_t dst_ino;  /* that name's inode in the target */
        uint32_t nlink; /* the source's link count when first seen */
        uint32_t seen;  /* names met so far */
        bool ready;     /* path names the finished target inode */
} InodeLink;

typedef struct InodeMap InodeMap;

int inode_map_new(InodeMap **ret);
InodeMap *inode_map_free(InodeMap *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(InodeMap *, inode_map_free);

/* The entry for (dev, ino), or NULL. The pointer is valid until the next
 * inode_map_add() or inode_map_remove(). */
InodeLink *inode_map_get(InodeMap *m, dev_t dev, ino_t ino);

/* Adds an entry (not ready, no path yet); -EEXIST when there is one. */
int inode_map_add(InodeMap *m, dev_t dev, ino_t ino, uint32_t nlink, InodeLink **ret);

/* Removes (and frees the path of) an entry got from this map. */
void inode_map_remove(InodeMap *m, InodeLink *l);

size_t inode_map_size(const InodeMap *m);

/* Iterates: *iter starts at 0; NULL at the end. */
InodeLink *inode_map_next(InodeMap *m, size_t *iter);
