/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What already uses a device, or would be written through it: mounts, swap,
 * holders, loop devices, and the stacks of devices built on them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/safety-internal.h"
#include "disk/stack.h"
#include "disk/usage.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* Whether someone holds node (inside sysroot) the way a mount, a VM or a
 * database holds a device: the kernel refuses an exclusive open then. */
bool disk_held_exclusively(const char *sysroot, const char *node) {
        _cleanup_free_ char *p = sysroot_path(sysroot, node);
        _cleanup_close_ int fd = -1;

        if (!p)
                return false;
        fd = open(p, O_RDONLY | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        return fd < 0 && errno == EBUSY;
}

/* Where each stack of devices built on name ends, one line per leaf, each
 * starting with prefix: "loop7 → loop8 → mounted on /srv/x". */
static int chains_above(const char *sysroot, const char *name, const char *prefix, unsigned depth, char ***chains) {
        _cleanup_strv_free_ char **targets = NULL, **users = NULL;
        _cleanup_blockdev_ BlockDev *b = NULL;
        size_t before = strv_length(*chains);
        int r;

        r = blockdev_load(sysroot, name, &b);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (depth > 8) /* a cycle, or something no one builds */
                return strv_extendf(chains, "%s → …", prefix);

        r = usage_mount_points(sysroot, b->devnum, &targets);
        if (r < 0)
                return r;
        if (targets) {
                _cleanup_free_ char *t = strv_join(targets, ", ");
                if (!t)
                        return -ENOMEM;
                r = strv_extendf(chains, "%s → mounted on %s", prefix, t);
                if (r < 0)
                        return r;
        }
        r = usage_is_swap(sysroot, b);
        if (r < 0)
                return r;
        if (r > 0 && (r = strv_extendf(chains, "%s → swap", prefix)) < 0)
                return r;

        STRV_FOREACH(p, b->partitions) {
                _cleanup_free_ char *pp = NULL;
                if (asprintf(&pp, "%s → %s", prefix, *p) < 0)
                        return -ENOMEM;
                r = chains_above(sysroot, *p, pp, depth + 1, chains);
                if (r < 0)
                        return r;
        }
        r = blockdev_users(sysroot, name, &users);
        if (r < 0)
                return r;
        STRV_FOREACH(u, users) {
                _cleanup_free_ char *up = NULL;
                if (asprintf(&up, "%s → %s", prefix, *u) < 0)
                        return -ENOMEM;
                r = chains_above(sysroot, *u, up, depth + 1, chains);
                if (r < 0)
                        return r;
        }
        /* A device built on the target, with nothing on it in turn, still
         * holds data of its own. */
        if (depth > 0 && strv_length(*chains) == before && strv_length(b->partitions) == 0)
                return strv_extendf(chains, "%s (attached; not mounted in this mount namespace)", prefix);
        return 0;
}

/* The chains above user, which is built on node: one string, for a message. */
static char *describe_chains(const char *sysroot, const char *node, const char *user) {
        _cleanup_strv_free_ char **chains = NULL;
        _cleanup_free_ char *prefix = NULL;

        if (asprintf(&prefix, "%s → %s", node, user) < 0)
                return NULL;
        if (chains_above(sysroot, user, prefix, 1, &chains) < 0)
                return NULL;
        return strv_join(chains, "; ");
}

/* Loop devices reading or writing b (held by holders is its own refusal):
 * formatting b corrupts whatever is on them, mounted or not. */
static int check_users(const char *sysroot, const BlockDev *b, Eligibility *e) {
        _cleanup_strv_free_ char **users = NULL;
        int r;

        r = blockdev_users(sysroot, b->name, &users);
        if (r < 0)
                return r;
        STRV_FOREACH(u, users) {
                _cleanup_(loop_backing_done) LoopBacking lb = {};
                _cleanup_free_ char *chain = NULL;

                if (strv_contains(b->holders, *u))
                        continue;
                chain = describe_chains(sysroot, b->node, *u);
                if (!chain)
                        return -ENOMEM;
                if (blockdev_loop_backing(sysroot, *u, &lb) >= 0 && !lb.is_node)
                        r = strv_extendf(&e->refusals,
                                   "%s holds the filesystem with the backing file of /dev/%s (%s): %s; formatting "
                                   "it would destroy that. Detach /dev/%s (losetup -d) and unmount the filesystem "
                                   "first (--wipe does not override this)",
                                   b->node, *u, lb.file, chain, *u);
                else
                        r = strv_extendf(&e->refusals,
                                   "%s is the backing device of /dev/%s: %s; writing to it would corrupt that. "
                                   "Detach /dev/%s (losetup -d) first (--wipe does not override this)",
                                   b->node, *u, chain, *u);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* What else uses the device name that writing to target writes through
 * (via: how, "/dev/loop5 → loop6"), coming from the device from, which is
 * not counted. */
static int check_written(const char *sysroot, const char *target, const char *name, const char *from,
                         const char *via, unsigned depth, Eligibility *e) {
        _cleanup_strv_free_ char **lower = NULL, **chains = NULL, **users = NULL;
        _cleanup_blockdev_ BlockDev *b = NULL;
        size_t before = strv_length(e->refusals);
        int r;

        if (depth > 8)
                return 0;
        r = blockdev_load(sysroot, name, &b);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        if (depth > 0) {
                _cleanup_strv_free_ char **targets = NULL;
                const char *what;

                r = usage_mount_points(sysroot, b->devnum, &targets);
                if (r < 0)
                        return r;
                STRV_FOREACH(t, targets) {
                        r = strv_extendf(&e->refusals,
                                   "writing to %s writes to %s (through %s), which is mounted on %s: that filesystem would "
                                   "be corrupted; choose another device (--wipe does not override this)",
                                   target, b->node, via, *t);
                        if (r < 0)
                                return r;
                }
                r = usage_is_swap(sysroot, b);
                if (r < 0)
                        return r;
                if (r > 0 && (r = strv_extendf(&e->refusals, "writing to %s writes to %s (through %s), which is in use as swap",
                                         target, b->node, via)) < 0)
                        return r;
                r = usage_backs_system(sysroot, b->name, &what);
                if (r < 0)
                        return r;
                if (r > 0 && (r = strv_extendf(&e->refusals, "writing to %s writes to %s (through %s), which backs %s", target,
                                         b->node, via, what)) < 0)
                        return r;

                /* Everything else built on it sees the same blocks. */
                STRV_FOREACH(p, b->partitions) {
                        _cleanup_free_ char *pp = NULL;
                        if (asprintf(&pp, "%s → %s", b->node, *p) < 0)
                                return -ENOMEM;
                        r = chains_above(sysroot, *p, pp, 1, &chains);
                        if (r < 0)
                                return r;
                }
        }

        /* A partition's blocks are also its disk's: what uses the whole disk
         * (not its other partitions, which lie elsewhere) sees them. */
        if (b->parent) {
                _cleanup_strv_free_ char **dt = NULL;
                _cleanup_blockdev_ BlockDev *disk = NULL;

                r = blockdev_load(sysroot, b->parent, &disk);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0) {
                        r = usage_mount_points(sysroot, disk->devnum, &dt);
                        if (r < 0)
                                return r;
                        STRV_FOREACH(t, dt)
                                if ((r = strv_extendf(&e->refusals, "%s is a partition of %s, which is mounted whole on %s",
                                                b->node, disk->node, *t)) < 0)
                                        return r;
                        r = blockdev_users(sysroot, disk->name, &users);
                        if (r < 0)
                                return r;
                        STRV_FOREACH(u, users) {
                                _cleanup_free_ char *c = describe_chains(sysroot, disk->node, *u);
                                if (!c)
                                        return -ENOMEM;
                                if ((r = strv_extendf(&e->refusals,
                                                "%s is a partition of %s, on which /dev/%s is built (%s): writing "
                                                "to it would corrupt that (--wipe does not override this)",
                                                b->node, disk->node, *u, c)) < 0)
                                        return r;
                        }
                        users = strv_free(users);
                        r = blockdev_lower(sysroot, disk->name, &lower);
                        if (r < 0)
                                return r;
                        STRV_FOREACH(l, lower) {
                                _cleanup_free_ char *v = NULL;
                                if (asprintf(&v, "%s → %s → %s", via, disk->name, *l) < 0)
                                        return -ENOMEM;
                                r = check_written(sysroot, target, *l, disk->name, v, depth + 1, e);
                                if (r < 0)
                                        return r;
                        }
                        lower = strv_free(lower);
                }
        }

        if (depth > 0) {
                r = blockdev_users(sysroot, name, &users);
                if (r < 0)
                        return r;
                STRV_FOREACH(u, users) {
                        _cleanup_free_ char *pp = NULL;
                        if (streq(*u, from))
                                continue;
                        if (asprintf(&pp, "%s → %s", b->node, *u) < 0)
                                return -ENOMEM;
                        r = chains_above(sysroot, *u, pp, 1, &chains);
                        if (r < 0)
                                return r;
                }
                STRV_FOREACH(c, chains)
                        if ((r = strv_extendf(&e->refusals,
                                        "writing to %s writes to %s (through %s), on which more is built: %s; that would be "
                                        "corrupted (--wipe does not override this)",
                                        target, b->node, via, *c)) < 0)
                                return r;

                /* What the tables do not show (a mount in another
                 * namespace, a program): the kernel refuses an exclusive
                 * open of a device someone holds. */
                if (strv_length(e->refusals) == before && root_is_host(sysroot) &&
                    disk_held_exclusively(NULL, b->node) &&
                    (r = strv_extendf(&e->refusals,
                                "writing to %s writes to %s (through %s), which is in use (mounted elsewhere, or "
                                "opened exclusively by a program)",
                                target, b->node, via)) < 0)
                        return r;
        }

        r = blockdev_lower(sysroot, name, &lower);
        if (r < 0)
                return r;
        STRV_FOREACH(l, lower) {
                _cleanup_free_ char *v = NULL;
                if (asprintf(&v, "%s → %s", via, *l) < 0)
                        return -ENOMEM;
                r = check_written(sysroot, target, *l, name, v, depth + 1, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Checks one node (the device, or one of its partitions) for use. */
int disk_check_in_use(const char *sysroot, const BlockDev *b, Eligibility *e) {
        _cleanup_strv_free_ char **targets = NULL;
        int r;

        r = usage_mount_points(sysroot, b->devnum, &targets);
        if (r < 0)
                return r;
        STRV_FOREACH(t, targets) {
                r = strv_extendf(&e->refusals, "%s is mounted on %s: unmount it first (--wipe does not override this)",
                                 b->node, *t);
                if (r >= 0)
                        r = strv_extend(&e->mounts, *t);
                if (r < 0)
                        return r;
        }

        r = usage_is_swap(sysroot, b);
        if (r < 0)
                return r;
        if (r > 0) {
                r = strv_extendf(&e->refusals, "%s is in use as swap: swapoff it and remove it from /etc/fstab first",
                                 b->node);
                if (r < 0)
                        return r;
        }
        return disk_check_in_use_stack(sysroot, b, e);
}

/* What is built on b: holders, loop devices. */
int disk_check_in_use_stack(const char *sysroot, const BlockDev *b, Eligibility *e) {
        int r;

        if (strv_length(b->holders) > 0) {
                _cleanup_strv_free_ char **chains = NULL;
                _cleanup_free_ char *h = strv_join(b->holders, ", "), *c = NULL;
                if (!h)
                        return -ENOMEM;
                STRV_FOREACH(x, b->holders) {
                        _cleanup_free_ char *one = describe_chains(sysroot, b->node, *x);
                        if (!one)
                                return -ENOMEM;
                        r = strv_consume(&chains, TAKE_PTR(one));
                        if (r < 0)
                                return r;
                }
                c = strv_join(chains, "; ");
                if (!c)
                        return -ENOMEM;
                r = strv_extendf(&e->refusals,
                           "%s is held by %s (device-mapper, LVM or RAID: %s): remove that device first "
                           "(--wipe does not override this)",
                           b->node, h, c);
                if (r < 0)
                        return r;
        }
        return check_users(sysroot, b, e);
}

int disk_check_written(const char *sysroot, const BlockDev *b, Eligibility *e) {
        return check_written(sysroot, b->node, b->name, "", b->node, 0, e);
}
