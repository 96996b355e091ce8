/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "disk/blockdev.h"
#include "disk/grow.h"
#include "disk/partition.h"
#include "disk/probe.h"
#include "disk/resolve.h"
#include "disk/safety.h"
#include "disk/state.h"
#include "disk/usage.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"

#define GROW_TIMEOUT_MS (30UL * 60 * 1000)
/* A GPT keeps 33 sectors for its backup at the end, and partitions are
 * aligned to 1 MiB: less free space than this is nothing to grow into. */
#define GROW_MIN_GAIN (1024ULL * 1024)

void grow_result_done(GrowResult *r) {
        if (!r)
                return;
        free(r->mount);
        free(r->fs_node);
        free(r->disk);
        free(r->fstype);
        step_log_done(&r->steps);
        strv_free(r->refusals);
        free(r->advice);
        *r = (GrowResult){};
}

static int fs_size(const char *dir, uint64_t *ret) {
        struct statvfs sv;

        if (statvfs(dir, &sv) < 0)
                return negative_errno();
        *ret = (uint64_t) sv.f_blocks * sv.f_frsize;
        return 0;
}

/* Where the partition ends against the end of its disk, from sysfs (no write
 * access needed, so a dry run can tell too). */
static int partition_room(const BlockDev *part, const BlockDev *disk, uint64_t *ret_room) {
        _cleanup_free_ char *dir = NULL, *p = NULL, *s = NULL;
        unsigned long long start;
        int r;

        r = blockdev_sysfs_dir(NULL, part->name, &dir);
        if (r < 0)
                return r;
        p = path_join(dir, "start");
        if (!p)
                return -ENOMEM;
        r = read_full_file(p, 64, &s, NULL);
        if (r < 0)
                return r;
        start = strtoull(s, NULL, 10);
        if (start * 512 + part->size > disk->size)
                return -EINVAL;
        *ret_room = disk->size - start * 512 - part->size;
        return 0;
}

/* The filesystem's own idea of its size, which statvfs does not give (it
 * leaves out metadata): from the superblock through dumpe2fs / xfs_info, as
 * no library reads it. */
static int fs_total_bytes(const char *fstype, const char *node, const char *dir, uint64_t *ret) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        unsigned long long bsize = 0, blocks = 0;
        int status, r;

        if (streq(fstype, "xfs")) {
                char *argv[] = { (char *) "xfs_info", (char *) dir, NULL };
                const char *p;

                r = run_command(argv, 60 * 1000, &out, &err, &status);
                if (r < 0)
                        return r;
                if (status != 0)
                        return -EIO;
                /* "data     =                       bsize=4096   blocks=76800, imaxpct=25" */
                p = strstr(out, "\ndata ");
                if (!p || !(p = strstr(p, "bsize=")) || sscanf(p, "bsize=%llu blocks=%llu", &bsize, &blocks) != 2)
                        return -EBADMSG;
        } else {
                char *argv[] = { (char *) "dumpe2fs", (char *) "-h", (char *) node, NULL };
                const char *p;

                r = run_command(argv, 60 * 1000, &out, &err, &status);
                if (r < 0)
                        return r;
                if (status != 0)
                        return -EIO;
                p = strstr(out, "\nBlock count:");
                if (!p || sscanf(p, "\nBlock count: %llu", &blocks) != 1)
                        return -EBADMSG;
                p = strstr(out, "\nBlock size:");
                if (!p || sscanf(p, "\nBlock size: %llu", &bsize) != 1)
                        return -EBADMSG;
        }
        *ret = (uint64_t) bsize * blocks;
        return 0;
}

static bool fs_can_grow(const char *fstype) {
        return streq(fstype, "ext2") || streq(fstype, "ext3") || streq(fstype, "ext4") || streq(fstype, "xfs");
}

static int grow_fs(const char *fstype, const char *node, const char *dir, char **ret_message) {
        /* Captured, not inherited: stdout carries our JSON. */
        _cleanup_free_ char *err = NULL, *out = NULL;
        int status, r;

        if (streq(fstype, "ext4") || streq(fstype, "ext3") || streq(fstype, "ext2")) {
                char *argv[] = { (char *) "resize2fs", (char *) node, NULL };
                r = run_command(argv, GROW_TIMEOUT_MS, &out, &err, &status);
        } else if (streq(fstype, "xfs")) {
                /* xfs grows through its mount point. */
                char *argv[] = { (char *) "xfs_growfs", (char *) dir, NULL };
                r = run_command(argv, GROW_TIMEOUT_MS, &out, &err, &status);
        } else
                return -EOPNOTSUPP;
        if (r < 0)
                return r;
        if (status == 0)
                return 0;
        /* The tool's last line says why (e.g. "Permission denied to resize
         * filesystem" without CAP_SYS_RESOURCE). */
        if (ret_message && err) {
                size_t n = strlen(err);
                char *last;

                while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
                        err[--n] = '\0';
                last = strrchr(err, '\n');
                *ret_message = strdup(last ? last + 1 : err);
        }
        return -EIO;
}

/* A reason not to grow: a result, not a failure. */
static int refuse(GrowResult *res, const char *fmt, ...) _printf_(2, 3);
static int refuse(GrowResult *res, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strv_extendfv(&res->refusals, false, fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        res->refused = true;
        return 0;
}

/* The filesystem named by a device: the device itself, or the one partition
 * of a disk that holds a filesystem. */
static int fs_device(const char *spec, BlockDev **ret) {
        _cleanup_blockdev_ BlockDev *d = NULL;
        _cleanup_free_ char *name = NULL;
        FsInfo fs = {};
        ResolveHow how;
        int r;

        r = disk_resolve(NULL, spec, &name, &how);
        if (r < 0)
                return r;
        r = blockdev_load(NULL, name, &d);
        if (r < 0)
                return r;
        if (probe_filesystem(d->node, &fs) >= 0) {
                fs_info_done(&fs);
                *ret = TAKE_PTR(d);
                return 0;
        }
        if (strv_length(d->partitions) == 1)
                return blockdev_load(NULL, d->partitions[0], ret);
        return -ENOENT;
}

/* Where the filesystem on the device named is mounted whole (not a bind
 * mount of a directory of it). */
static int whole_mount(const BlockDev *b, char **ret_mount) {
        _cleanup_strv_free_ char **targets = NULL;
        int r;

        r = usage_mount_points(NULL, b->devnum, &targets);
        if (r < 0)
                return r;
        STRV_FOREACH(t, targets) {
                _cleanup_free_ char *fr = NULL;
                if (usage_mount_fsroot(NULL, *t, &fr) >= 0 && streq(fr, "/"))
                        return (*ret_mount = strdup(*t)) ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

static int grow(const char *root, const char *what, bool dry_run, GrowResult *res, char **ret_error) {
        _cleanup_blockdev_ BlockDev *b = NULL, *disk = NULL, *named = NULL;
        _cleanup_free_ char *name = NULL, *fstype = NULL, *mount = NULL, *msg = NULL, *want_uuid = NULL,
                            *fsroot = NULL;
        _cleanup_strv_free_ char **refusals = NULL;
        DiskRecord rec = {};
        FsInfo fs = {};
        bool explicit = false, recorded;
        struct stat st;
        dev_t devnum;
        int r;

        *res = (GrowResult){};

        if (!what) {
                r = disk_state_find_last(root, &rec);
                if (r < 0)
                        return error_set(ret_error, r,
                                         "No mount point given, and none recorded in " DISK_STATE_FILE
                                         ": name the mount point to grow");
                mount = TAKE_PTR(rec.mount);
                want_uuid = TAKE_PTR(rec.uuid);
                disk_record_done(&rec);
                if (!mount)
                        return error_set(ret_error, -EBADMSG, DISK_STATE_FILE " records no mount point: name it");
        } else if (stat(what, &st) >= 0 && S_ISDIR(st.st_mode)) {
                r = path_resolve_physical(NULL, what, &mount);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to resolve %s: %s", what, strerror(-r));
        } else {
                /* A device named explicitly: the administrator vouches for
                 * its filesystem; the device checks still apply. */
                explicit = true;
                r = fs_device(what, &named);
                if (r == -ENOENT || r == -EINVAL)
                        return error_set(ret_error, r, "%s is neither a directory nor a device holding a filesystem",
                                         what);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to resolve %s: %s", what, strerror(-r));
                r = whole_mount(named, &mount);
                if (r == -ENOENT)
                        return error_set(ret_error, r,
                                         "The filesystem on %s is not mounted: grow works online, mount it first",
                                         named->node);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to read the mount table: %s", strerror(-r));
        }
        res->mount = strdup(mount);
        if (!res->mount)
                return -ENOMEM;

        r = usage_mount_source(NULL, mount, &devnum, &fstype);
        if (r == -ENOENT)
                return error_set(ret_error, r, "%s is not a mount point: nothing to grow", mount);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read the mount table: %s", strerror(-r));
        res->fstype = strdup(fstype);
        if (!res->fstype)
                return -ENOMEM;

        /* resize2fs and xfs_growfs act on the whole filesystem, wherever
         * the path leads: a bind mount of a directory of the root
         * filesystem would grow that. */
        r = usage_mount_fsroot(NULL, mount, &fsroot);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read the mount table: %s", strerror(-r));
        if (!streq(fsroot, "/"))
                return refuse(res,
                              "%s is a bind mount (of %s on its filesystem), not a filesystem of its own: growing "
                              "it would grow the filesystem that directory is on",
                              mount, fsroot);

        r = blockdev_name_from_devnum(NULL, devnum, &name);
        if (r < 0)
                return refuse(res, "%s is not mounted from a block device (%s): there is no volume to grow", mount,
                              fstype);
        /* Before anything grows: a partition grown under a filesystem that
         * cannot follow would be a change for nothing. */
        if (!fs_can_grow(fstype))
                return refuse(res, "%s holds a %s filesystem: grow grows ext2, ext3, ext4 and xfs only", mount,
                              fstype);

        r = blockdev_load(NULL, name, &b);
        if (r < 0)
                return error_set(ret_error, r, "Failed to read /dev/%s: %s", name, strerror(-r));
        res->fs_node = strdup(b->node);
        if (!res->fs_node)
                return -ENOMEM;

        /* The device checks first: the root filesystem is refused as what
         * it is, whoever made it. */
        r = disk_check_growable(NULL, b, &refusals);
        if (r < 0)
                return error_set(ret_error, r, "Failed to check %s: %s", b->node, strerror(-r));
        if (strv_length(refusals) > 0) {
                res->refused = true;
                res->refusals = TAKE_PTR(refusals);
                return 0;
        }

        /* Ours, by the UUID on the device, unless the device was named. */
        r = probe_filesystem(b->node, &fs);
        if (r < 0 && !explicit)
                return refuse(res,
                              "the filesystem on %s, mounted on %s, cannot be read (%s): there is no telling whether "
                              "this tool made it",
                              b->node, mount, strerror(-r));
        recorded = r >= 0 && fs.uuid && disk_state_find_uuid(root, fs.uuid, &rec) >= 0;
        disk_record_done(&rec);
        if (want_uuid && !streq_ptr(fs.uuid, want_uuid))
                r = refuse(res,
                           "%s holds another filesystem (UUID=%s) than the one this tool prepared there (UUID=%s): "
                           "name the mount point or device to grow",
                           mount, strna(fs.uuid), want_uuid);
        else if (!recorded && !explicit)
                r = refuse(res,
                           "the %s filesystem on %s (UUID=%s), mounted on %s, was not made by this tool (it is not "
                           "in " DISK_STATE_FILE "): to grow it anyway, name its device: grow %s",
                           strna(fs.type), b->node, strna(fs.uuid), mount, b->node);
        else
                r = 0;
        fs_info_done(&fs);
        if (r < 0 || res->refused)
                return r;

        r = fs_size(mount, &res->fs_old);
        if (r < 0)
                return error_set(ret_error, r, "Failed to stat %s: %s", mount, strerror(-r));
        res->fs_new = res->fs_old;

        if (b->parent) {
                uint64_t room;

                r = blockdev_load(NULL, b->parent, &disk);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to read /dev/%s: %s", b->parent, strerror(-r));
                res->disk = strdup(disk->node);
                if (!res->disk)
                        return -ENOMEM;
                res->partition_old = res->partition_new = b->size;

                r = partition_room(b, disk, &room);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to read the extent of %s: %s", b->node, strerror(-r));
                if (room > GROW_MIN_GAIN) {
                        if (dry_run) {
                                res->changed = true;
                                r = step_log_add(&res->steps, "grow partition %u of %s by up to %llu bytes", b->partno,
                                                 disk->node, (unsigned long long) room);
                                if (r < 0)
                                        return r;
                        } else {
                                step_log_begin(&res->steps);
                                r = partition_grow(disk->node, b->partno, &res->partition_old, &res->partition_new);
                                if (r == -EXFULL)
                                        return error_set(ret_error, r,
                                                         "%s is not the last partition on %s: it cannot grow into the "
                                                         "new space",
                                                         b->node, disk->node);
                                if (r < 0) {
                                        if (free_and_asprintf(&res->advice,
                                                     "The filesystem was not touched; check the partition table "
                                                     "with fdisk -l %s.",
                                                     disk->node) < 0)
                                                return -ENOMEM;
                                        return error_set(ret_error, r, "Failed to grow partition %u of %s: %s",
                                                         b->partno, disk->node, strerror(-r));
                                }
                                if (r > 0) {
                                        res->changed = res->partition_grown = true;
                                        r = step_log_add(&res->steps, "grew partition %s from %llu to %llu bytes",
                                                         b->node, (unsigned long long) res->partition_old,
                                                         (unsigned long long) res->partition_new);
                                        if (r < 0)
                                                return r;
                                }
                        }
                }
        } else {
                res->disk = strdup(b->node);
                if (!res->disk)
                        return -ENOMEM;
        }

        if (dry_run) {
                uint64_t total, device = b->size;

                if (b->parent && res->changed) {
                        /* The partition would reach (about) the end of the disk. */
                        uint64_t room = 0;
                        if (partition_room(b, disk, &room) >= 0)
                                device += room > GROW_MIN_GAIN ? room - GROW_MIN_GAIN : 0;
                }
                r = fs_total_bytes(fstype, b->node, mount, &total);
                if (r < 0)
                        return error_set(ret_error, r, "Failed to read the size of the %s filesystem on %s: %s",
                                         fstype, b->node, strerror(-r));
                if (device <= total + GROW_MIN_GAIN)
                        return 0;
                res->changed = true;
                return step_log_add(&res->steps, "grow the %s filesystem on %s from %llu to about %llu bytes (%s)",
                                    fstype, b->node, (unsigned long long) total, (unsigned long long) device,
                                    streq(fstype, "xfs") ? "xfs_growfs" : "resize2fs");
        }

        /* Nothing to do is known without asking the tool, which needs
         * privileges (online ext4 resize: CAP_SYS_RESOURCE) even to say so. */
        {
                _cleanup_blockdev_ BlockDev *now = NULL;
                uint64_t total;

                if (blockdev_load(NULL, b->name, &now) >= 0 && fs_total_bytes(fstype, b->node, mount, &total) >= 0 &&
                    now->size <= total + GROW_MIN_GAIN)
                        return 0;
        }

        step_log_begin(&res->steps);
        r = test_hook_fail("grow-fs");
        if (r >= 0)
                r = grow_fs(fstype, b->node, mount, &msg);
        if (r == -EOPNOTSUPP)
                return error_set(ret_error, r, "Growing %s is not supported (ext4 and xfs are)", fstype);
        if (r < 0) {
                if (free_and_asprintf(&res->advice,
                             "Nothing is lost: the filesystem keeps its size%s; fix the cause and run grow again.",
                             res->partition_grown ? ", the partition is grown already" : "") < 0)
                        return -ENOMEM;
                return error_set(ret_error, r, "Failed to grow the %s filesystem on %s: %s%s", fstype, b->node,
                                 msg ? msg : strerror(-r),
                                 msg && strstr(msg, "Permission denied") ? " (online resize needs CAP_SYS_RESOURCE)"
                                                                         : "");
        }

        r = test_hook_fail("grow-size");
        if (r >= 0)
                r = fs_size(mount, &res->fs_new);
        if (r < 0)
                return error_set(ret_error, r, "Failed to stat %s: %s", mount, strerror(-r));
        if (res->fs_new != res->fs_old) {
                res->changed = true;
                r = step_log_add(&res->steps, "grew the %s filesystem on %s from %llu to %llu bytes", fstype, b->node,
                                 (unsigned long long) res->fs_old, (unsigned long long) res->fs_new);
                if (r < 0)
                        return r;
        }
        return 0;
}

int disk_grow(const char *root, const char *what, bool dry_run, GrowResult *res, char **ret_error) {
        int r = grow(root, what, dry_run, res, ret_error);

        /* A partition grown is a change not taken back (exit 5): whatever
         * failed after it, the advice says where the host stands. */
        if (r < 0 && res->partition_grown && !res->advice &&
            free_and_asprintf(&res->advice,
                              "Partition %s is grown already (%llu bytes, from %llu); the %s filesystem on it may "
                              "not be: fix the cause and run grow again, which grows what is left (df -B1 %s shows "
                              "its size now).",
                              strna(res->fs_node), (unsigned long long) res->partition_new,
                              (unsigned long long) res->partition_old, strna(res->fstype), strna(res->mount)) < 0)
                return -ENOMEM;
        return r;
}
