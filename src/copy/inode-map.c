/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "copy/inode-map.h"

/* Open addressing with linear probing and backward-shift deletion: no
 * tombstones, so a map that fills and drains all through a long copy keeps
 * short probe sequences. dev == 0 && ino == 0 marks a free slot (no inode
 * has number 0). */
struct InodeMap {
        InodeLink *slots;
        size_t size; /* a power of two */
        size_t used;
};

static size_t hash(dev_t dev, ino_t ino) {
        uint64_t h = (uint64_t) ino * 0x9E3779B97F4A7C15ULL ^ (uint64_t) dev * 0xC2B2AE3D27D4EB4FULL;
        return (size_t) (h ^ (h >> 29));
}

static bool slot_free(const InodeLink *l) {
        return l->dev == 0 && l->ino == 0;
}

int inode_map_new(InodeMap **ret) {
        InodeMap *m = calloc(1, sizeof(*m));

        if (!m)
                return -ENOMEM;
        m->size = 1024;
        m->slots = calloc(m->size, sizeof(InodeLink));
        if (!m->slots) {
                free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 0;
}

InodeMap *inode_map_free(InodeMap *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->size; i++)
                free(m->slots[i].path);
        free(m->slots);
        free(m);
        return NULL;
}

static InodeLink *find(const InodeMap *m, dev_t dev, ino_t ino) {
        for (size_t i = hash(dev, ino) & (m->size - 1);; i = (i + 1) & (m->size - 1)) {
                InodeLink *l = &m->slots[i];
                if (slot_free(l))
                        return NULL;
                if (l->dev == dev && l->ino == ino)
                        return l;
        }
}

InodeLink *inode_map_get(InodeMap *m, dev_t dev, ino_t ino) {
        return find(m, dev, ino);
}

static void insert_slot(InodeLink *slots, size_t size, const InodeLink *l) {
        size_t i = hash(l->dev, l->ino) & (size - 1);

        while (!slot_free(&slots[i]))
                i = (i + 1) & (size - 1);
        slots[i] = *l;
}

static int grow(InodeMap *m) {
        size_t n = m->size * 2;
        InodeLink *s = calloc(n, sizeof(InodeLink));

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < m->size; i++)
                if (!slot_free(&m->slots[i]))
                        insert_slot(s, n, &m->slots[i]);
        free(m->slots);
        m->slots = s;
        m->size = n;
        return 0;
}

int inode_map_add(InodeMap *m, dev_t dev, ino_t ino, uint32_t nlink, InodeLink **ret) {
        InodeLink l = { .dev = dev, .ino = ino, .nlink = nlink, .seen = 1 };
        int r;

        if (dev == 0 && ino == 0)
                return -EINVAL;
        if (find(m, dev, ino))
                return -EEXIST;
        /* At most half full, so probes stay short. */
        if ((m->used + 1) * 2 > m->size) {
                r = grow(m);
                if (r < 0)
                        return r;
        }
        insert_slot(m->slots, m->size, &l);
        m->used++;
        *ret = find(m, dev, ino);
        return 0;
}

void inode_map_remove(InodeMap *m, InodeLink *l) {
        size_t i = (size_t) (l - m->slots), j = i;

        free(l->path);
        *l = (InodeLink){};
        m->used--;
        /* Backward shift: move later members of the probe run into the hole
         * when their home slot lies at or before it (cyclically). */
        for (;;) {
                size_t home;

                j = (j + 1) & (m->size - 1);
                if (slot_free(&m->slots[j]))
                        return;
                home = hash(m->slots[j].dev, m->slots[j].ino) & (m->size - 1);
                if (((j - home) & (m->size - 1)) >= ((j - i) & (m->size - 1))) {
                        m->slots[i] = m->slots[j];
                        m->slots[j] = (InodeLink){};
                        i = j;
                }
        }
}

size_t inode_map_size(const InodeMap *m) {
        return m->used;
}

InodeLink *inode_map_next(InodeMap *m, size_t *iter) {
        for (; *iter < m->size; (*iter)++)
                if (!slot_free(&m->slots[*iter]))
                        return &m->slots[(*iter)++];
        return NULL;
}
