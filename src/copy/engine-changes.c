/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The final pass from a record of changes (CopyChanges): which directories
 * become jobs, and whether the record held every name of the files the pass
 * touched. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "copy/engine-internal.h"
#include "util/macro.h"
#include "util/strv.h"

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static ssize_t find_dir(char *const *sorted, size_t n, const char *rel) {
        char *const *p = bsearch(&rel, sorted, n, sizeof(char *), cmp_str);
        return p ? p - sorted : -1;
}

bool copy_is_node(const Run *r, const char *rel) {
        return r->n_node_rels > 0 && find_dir(r->node_rels, r->n_node_rels, rel) >= 0;
}

static bool is_placed(const Run *r, const char *rel) {
        return r->n_placed_rels > 0 && find_dir(r->placed_rels, r->n_placed_rels, rel) >= 0;
}

/* Whether rel lies below a directory the record says was created or moved
 * into place: that one is walked whole, rel with it (or, when the target
 * lacks it, made whole by the walk of its parent). */
static int below_placed(const Run *r, const char *rel) {
        _cleanup_free_ char *p = NULL;
        char *slash;

        if (r->n_placed_rels == 0)
                return 0;
        p = strdup(rel);
        if (!p)
                return -ENOMEM;
        while ((slash = strrchr(p, '/'))) {
                *slash = '\0';
                if (is_placed(r, p))
                        return 1;
        }
        return 0;
}

/* Whether a listed directory lies below a directory that the walk of its
 * nearest listed ancestor enters whole (copy_handle_subdir(): one in doubt),
 * or below one that does itself: 1 when it does, as it is then synchronised
 * there, and a job of its own would work on the same target directory at the
 * same time. The walk decides the same way, on the same attributes: the
 * source no longer changes, and nothing else writes to these directories of
 * the target. */
static int walked_deep(Run *r, char *const *dirs, size_t n, const bool *deep, const char *d) {
        _cleanup_free_ char *p = NULL, *child = NULL;
        ssize_t i;
        Attrs a, t;
        int k;

        if (streq(d, "."))
                return 0;
        k = below_placed(r, d);
        if (k != 0)
                return k;
        p = strdup(d);
        if (!p)
                return -ENOMEM;
        /* Up to the nearest listed ancestor. */
        for (;;) {
                char *slash = strrchr(p, '/');

                if (slash)
                        *slash = '\0';
                else
                        strcpy(p, ".");
                i = find_dir(dirs, n, p);
                if (i >= 0 || streq(p, "."))
                        break;
        }
        if (i < 0)
                return 0;
        if (deep[i])
                return 1;
        /* The child of that ancestor: d itself is a job of its own. */
        {
                const char *start = d + (streq(p, ".") ? 0 : strlen(p) + 1);
                const char *end = strchr(start, '/');

                if (!end)
                        return 0;
                child = strndup(d, (size_t) (end - d));
        }
        if (!child)
                return -ENOMEM;
        if (copy_stat_at(r->src_fd, child, &a) < 0 || copy_stat_at(r->dst_fd, child, &t) < 0)
                return 0;
        return S_ISDIR(a.mode) && copy_dir_in_doubt(r, &a, &t);
}

/* The directory d, or when the target lacks it the nearest ancestor the
 * target has. */
static char *nearest_in_target(Run *r, const char *d) {
        char *p = strdup(d);
        struct stat st;

        while (p && !streq(p, ".")) {
                char *slash;

                if (fstatat(r->dst_fd, p, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode))
                        break;
                slash = strrchr(p, '/');
                if (slash)
                        *slash = '\0';
                else
                        strcpy(p, ".");
        }
        return p;
}

/* The directories of a complete record, as jobs: each listed directory the
 * target has is synchronised alone; one it lacks is made whole by the
 * nearest listed ancestor the target has (added when not listed); one below
 * a directory in doubt is synchronised with it (walked_deep()). A placed
 * directory (created or moved into place) is a job too, walked whole
 * whether listed or not, and takes with it whatever is listed below it:
 * the kernel said it is not the directory the pre-copy copied to its path,
 * which its times cannot tell once something in it changed. */
int copy_changes_to_nodes(Run *r, DirNode ***ret, size_t *ret_n) {
        char *const *lists[] = {r->o->changes->dirs, r->o->changes->placed};
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ bool *deep = NULL;
        DirNode **nodes = NULL;
        size_t n = 0, nd = 0;
        int k;

        /* One for each listed directory, collected first, then sorted and
         * each kept once: a record may list tens of thousands, planned
         * while Docker is stopped, too many to look each up in the list
         * as it grows. */
        dirs = calloc(strv_length(lists[0]) + strv_length(lists[1]) + 1, sizeof(char *));
        if (!dirs)
                return -ENOMEM;
        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                STRV_FOREACH (d, lists[l]) {
                        dirs[nd] = nearest_in_target(r, *d);
                        if (!dirs[nd])
                                return -ENOMEM;
                        nd++;
                }
        /* Sorted, each directory after its ancestors. */
        nd = strv_sort_uniq(dirs);
        r->placed_rels = strv_copy(r->o->changes->placed);
        if (r->o->changes->placed && !r->placed_rels)
                return -ENOMEM;
        r->n_placed_rels = strv_length(r->placed_rels);
        strv_sort(r->placed_rels);
        deep = calloc(nd + 1, sizeof(bool));
        nodes = calloc(nd + 1, sizeof(DirNode *));
        r->node_rels = calloc(nd + 1, sizeof(char *));
        if (!deep || !nodes || !r->node_rels) {
                free(nodes);
                return -ENOMEM;
        }
        for (size_t x = 0; x < nd; x++) {
                const char *d = dirs[x];
                Attrs a;
                DirNode *node;
                char *rel;

                k = walked_deep(r, dirs, nd, deep, d);
                if (k != 0) {
                        if (k < 0) {
                                for (size_t i = 0; i < n; i++) {
                                        free(nodes[i]->rel);
                                        free(nodes[i]);
                                }
                                free(nodes);
                                return k;
                        }
                        deep[x] = true;
                        continue;
                }
                k = copy_stat_at(r->src_fd, d, &a);
                if (k < 0 || !S_ISDIR(a.mode) || a.dev != r->root_dev)
                        /* Gone since (its parent, changed too, is listed),
                         * or not a directory any more. */
                        continue;
                rel = strdup(d);
                /* Not shallow: in doubt (do_dir()), entered whole. */
                node = rel ? copy_dir_new(NULL, rel, &a, false, !is_placed(r, d)) : NULL;
                if (!node) {
                        for (size_t i = 0; i < n; i++) {
                                free(nodes[i]->rel);
                                free(nodes[i]);
                        }
                        free(nodes);
                        return -ENOMEM;
                }
                node->root = streq(d, ".");
                r->node_rels[r->n_node_rels++] = dirs[x]; /* sorted still */
                nodes[n++] = node;
        }
        /* The names stay, in node_rels, until the run ends. */
        r->node_dirs = TAKE_PTR(dirs);
        *ret = nodes;
        *ret_n = n;
        return 0;
}

void copy_changes_plan_free(Run *r) {
        r->node_rels = mfree(r->node_rels);
        r->n_node_rels = 0;
        r->node_dirs = strv_free(r->node_dirs);
        r->placed_rels = strv_free(r->placed_rels);
        r->n_placed_rels = 0;
}

/* After a changes-only pass: every inode with several names that it touched
 * must have as many names in the target as in the source, or some of its
 * names lie in directories the record did not list. */
const char *copy_verify_links(Run *r) {
        size_t it = 0;
        InodeLink *l;

        while ((l = inode_map_next(r->map, &it))) {
                struct stat s, d;
                if (!l->ready)
                        continue;
                if (fstatat(r->src_fd, l->path, &s, AT_SYMLINK_NOFOLLOW) < 0 ||
                        fstatat(r->dst_fd, l->path, &d, AT_SYMLINK_NOFOLLOW) < 0 || s.st_nlink != d.st_nlink)
                        return "a file with several names had names outside the changed directories";
        }
        return NULL;
}

CopyChanges *copy_changes_free(CopyChanges *c) {
        if (!c)
                return NULL;
        strv_free(c->dirs);
        strv_free(c->placed);
        free(c->reason);
        free(c);
        return NULL;
}
