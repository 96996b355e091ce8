/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "disk/blockdev.h"
#include "disk/imds.h"
#include "util/fileio.h"
#include "util/path.h"
#include "util/strv.h"

char *sysroot_path(const char *sysroot, const char *path) {
        return root_path(sysroot, path);
}

BlockDev *blockdev_free(BlockDev *d) {
        if (!d)
                return NULL;
        free(d->name);
        free(d->node);
        free(d->parent);
        free(d->model);
        free(d->serial);
        free(d->backing_file);
        strv_free(d->partitions);
        strv_free(d->holders);
        free(d->volume_id);
        free(d->ec2_name);
        free(d);
        return NULL;
}

static bool name_is_safe(const char *name) {
        /* A name reaches path_join(); it must not climb out of sysfs. */
        return !isempty(name) && !strchr(name, '/') && !streq(name, ".") && !streq(name, "..");
}

/* Reads a one-line sysfs attribute, trimmed. */
static int read_attr(const char *dir, const char *attr, char **ret) {
        _cleanup_free_ char *p = path_join(dir, attr), *s = NULL;
        size_t n;
        int r;

        if (!p)
                return -ENOMEM;
        r = read_full_file(p, 4096, &s, &n);
        if (r < 0)
                return r;
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                s[--n] = '\0';
        if (n == 0)
                return -ENODATA;
        {
                size_t b = strspn(s, " \t");
                if (b > 0)
                        memmove(s, s + b, n - b + 1);
        }
        *ret = TAKE_PTR(s);
        return 0;
}

static int read_attr_u64(const char *dir, const char *attr, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        unsigned long long v;
        char *end;
        int r;

        r = read_attr(dir, attr, &s);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int list_dir(const char *path, bool (*filter)(const char *dir, const struct dirent *de), char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        DIR *d;
        int r = 0;

        d = opendir(path);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = NULL;
                        return 0;
                }
                return negative_errno();
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                if (filter && !filter(path, de))
                        continue;
                r = strv_extend(&l, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return 0;
}

static bool is_partition_dir(const char *dir, const struct dirent *de) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/%s/partition", dir, de->d_name) < 0)
                return false;
        return file_exists(p);
}

int blockdev_names(const BlockDev *d, char ***ret_names) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = strv_extend(&names, d->name);
        if (r >= 0)
                r = strv_extend_strv(&names, d->partitions);
        if (r < 0)
                return r;
        *ret_names = TAKE_PTR(names);
        return 0;
}

int blockdev_list_disks(const char *sysroot, char ***ret_names) {
        _cleanup_free_ char *p = sysroot_path(sysroot, "/sys/block");

        if (!p)
                return -ENOMEM;
        return list_dir(p, NULL, ret_names);
}

int blockdev_sysfs_dir(const char *sysroot, const char *name, char **ret_dir) {
        _cleanup_free_ char *block = sysroot_path(sysroot, "/sys/block"), *p = NULL;
        _cleanup_strv_free_ char **disks = NULL;
        int r;

        if (!block)
                return -ENOMEM;
        if (!name_is_safe(name))
                return -EINVAL;

        p = path_join(block, name);
        if (!p)
                return -ENOMEM;
        if (dir_exists(p)) {
                *ret_dir = TAKE_PTR(p);
                return 0;
        }

        /* Partitions live below their disk; looking there rather than in
         * /sys/class/block keeps fixture trees simple. */
        r = list_dir(block, NULL, &disks);
        if (r < 0)
                return r;
        STRV_FOREACH(disk, disks) {
                _cleanup_free_ char *q = NULL;
                if (asprintf(&q, "%s/%s/%s/partition", block, *disk, name) < 0)
                        return -ENOMEM;
                if (file_exists(q)) {
                        *(strrchr(q, '/')) = '\0';
                        *ret_dir = TAKE_PTR(q);
                        return 0;
                }
        }
        return -ENOENT;
}

static int parse_devnum(const char *s, dev_t *ret) {
        unsigned maj, min;
        char extra;

        if (sscanf(s, "%u:%u%c", &maj, &min, &extra) != 2)
                return -EINVAL;
        *ret = makedev(maj, min);
        return 0;
}

/* An EC2 instance on Xen (the older generations: m3, c3, r3, i2, d2, ...),
 * whose disks are all Xen blkfront devices without a model: the kind of
 * each is known only to the instance metadata. Elsewhere it is never asked,
 * so that no other host waits for it. */
static bool host_is_ec2_xen(const char *sysroot) {
        _cleanup_free_ char *dir = sysroot_path(sysroot, "/sys/hypervisor"), *type = NULL, *uuid = NULL;

        return dir && read_attr(dir, "type", &type) >= 0 && streq(type, "xen") &&
               read_attr(dir, "uuid", &uuid) >= 0 && strncasecmp(uuid, "ec2", 3) == 0;
}

static void load_identity(const char *sysroot, BlockDev *d, const char *dir) {
        _cleanup_free_ char *devdir = path_join(dir, "device");
        int r;

        if (!devdir)
                return;
        (void) read_attr(devdir, "model", &d->model);
        (void) read_attr(devdir, "serial", &d->serial);
        d->kind = disk_kind_from_model(d->model);

        if (startswith(d->name, "nvme")) {
                NvmeIdentity id;
                _cleanup_free_ char *node = sysroot_path(sysroot, d->node);

                /* The serial of an EBS volume is its id without the dash. */
                if (d->serial)
                        (void) ebs_volume_id_normalize(d->serial, &d->volume_id);

                /* The EC2 name only exists in the controller's identify data:
                 * udev's /dev/sdf links are made from it too, but they may be
                 * missing (no udev rules, early boot) or stale. */
                r = node ? nvme_identify_read(node, &id) : -ENOMEM;
                if (r >= 0) {
                        if (!isempty(id.ec2_name))
                                d->ec2_name = strdup(id.ec2_name);
                        if (d->kind == DISK_KIND_OTHER)
                                d->kind = disk_kind_from_model(id.model);
                }
        } else if (startswith(d->name, "xvd")) {
                /* Xen: the kernel names the disk after the EC2 name. */
                (void) ec2_name_normalize(d->name, &d->ec2_name);
        }
}

int blockdev_kind(const char *sysroot, const BlockDev *d, DiskKind *ret) {
        int r;

        *ret = d->kind;
        if (!startswith(d->name, "xvd") || !d->ec2_name || !host_is_ec2_xen(sysroot))
                return 0;
        /* Instance store can only be mapped at launch: a name the mapping
         * does not give it is EBS. */
        r = imds_is_instance_store(d->ec2_name);
        if (r < 0)
                return r;
        *ret = r > 0 ? DISK_KIND_INSTANCE_STORE : DISK_KIND_EBS;
        return 0;
}

int blockdev_load(const char *sysroot, const char *name, BlockDev **ret) {
        _cleanup_blockdev_ BlockDev *d = NULL;
        _cleanup_free_ char *dir = NULL, *dev = NULL, *holders = NULL;
        uint64_t v;
        int r;

        r = blockdev_sysfs_dir(sysroot, name, &dir);
        if (r < 0)
                return r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->name = strdup(name);
        d->node = path_join("/dev", name);
        if (!d->name || !d->node)
                return -ENOMEM;

        r = read_attr(dir, "dev", &dev);
        if (r < 0)
                return r;
        r = parse_devnum(dev, &d->devnum);
        if (r < 0)
                return r;

        /* sysfs counts 512-byte sectors whatever the logical block size. */
        if (read_attr_u64(dir, "size", &v) >= 0)
                d->size = v * 512;
        if (read_attr_u64(dir, "ro", &v) >= 0)
                d->read_only = v != 0;

        if (read_attr_u64(dir, "partition", &v) >= 0) {
                _cleanup_free_ char *parent = path_dirname(dir);

                d->partno = (unsigned) v;
                if (!parent)
                        return -ENOMEM;
                d->parent = strdup(path_basename(parent));
                if (!d->parent)
                        return -ENOMEM;
                /* A partition is read-only when its disk is. */
                if (read_attr_u64(parent, "ro", &v) >= 0 && v)
                        d->read_only = true;
        } else {
                if (read_attr_u64(dir, "removable", &v) >= 0)
                        d->removable = v != 0;
                r = list_dir(dir, is_partition_dir, &d->partitions);
                if (r < 0)
                        return r;
                (void) read_attr(dir, "loop/backing_file", &d->backing_file);
                load_identity(sysroot, d, dir);
        }

        holders = path_join(dir, "holders");
        if (!holders)
                return -ENOMEM;
        r = list_dir(holders, NULL, &d->holders);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(d);
        return 0;
}

int blockdev_name_from_devnum(const char *sysroot, dev_t devnum, char **ret_name) {
        _cleanup_strv_free_ char **disks = NULL;
        _cleanup_free_ char *block = sysroot_path(sysroot, "/sys/block");
        int r;

        if (!block)
                return -ENOMEM;
        r = blockdev_list_disks(sysroot, &disks);
        if (r < 0)
                return r;

        STRV_FOREACH(disk, disks) {
                _cleanup_free_ char *dir = path_join(block, *disk);
                _cleanup_strv_free_ char **parts = NULL;
                _cleanup_free_ char *s = NULL;
                dev_t n;

                if (!dir)
                        return -ENOMEM;
                if (read_attr(dir, "dev", &s) >= 0 && parse_devnum(s, &n) >= 0 && n == devnum)
                        return (*ret_name = strdup(*disk)) ? 0 : -ENOMEM;

                r = list_dir(dir, is_partition_dir, &parts);
                if (r < 0)
                        return r;
                STRV_FOREACH(part, parts) {
                        _cleanup_free_ char *pdir = path_join(dir, *part), *ps = NULL;
                        if (!pdir)
                                return -ENOMEM;
                        if (read_attr(pdir, "dev", &ps) >= 0 && parse_devnum(ps, &n) >= 0 && n == devnum)
                                return (*ret_name = strdup(*part)) ? 0 : -ENOMEM;
                }
        }
        return -ENOENT;
}

char *blockdev_partition_name(const char *disk, unsigned n) {
        size_t l = strlen(disk);
        char *s;

        if (asprintf(&s, "%s%s%u", disk, l > 0 && isdigit((unsigned char) disk[l - 1]) ? "p" : "", n) < 0)
                return NULL;
        return s;
}

static int underlying_add(const char *sysroot, const char *name, char ***l, unsigned depth) {
        _cleanup_free_ char *dir = NULL, *slaves = NULL, *part = NULL;
        _cleanup_strv_free_ char **sl = NULL;
        int r;

        if (strv_contains(*l, name))
                return 0;
        if (depth > 16) /* stacked devices never nest this deep; a loop would */
                return -ELOOP;
        r = strv_extend(l, name);
        if (r < 0)
                return r;

        r = blockdev_sysfs_dir(sysroot, name, &dir);
        if (r < 0)
                return r == -ENOENT ? 0 : r;

        part = path_join(dir, "partition");
        if (!part)
                return -ENOMEM;
        if (file_exists(part)) {
                _cleanup_free_ char *parent = path_dirname(dir);
                if (!parent)
                        return -ENOMEM;
                r = underlying_add(sysroot, path_basename(parent), l, depth + 1);
                if (r < 0)
                        return r;
        }

        slaves = path_join(dir, "slaves");
        if (!slaves)
                return -ENOMEM;
        r = list_dir(slaves, NULL, &sl);
        if (r < 0)
                return r;
        STRV_FOREACH(s, sl) {
                r = underlying_add(sysroot, *s, l, depth + 1);
                if (r < 0)
                        return r;
        }

        /* A loop device over a device node writes that device's blocks;
         * sysfs lists no slave for it. */
        {
                _cleanup_(loop_backing_done) LoopBacking lb = {};
                _cleanup_free_ char *lower = NULL;

                r = blockdev_loop_backing(sysroot, name, &lb);
                if (r < 0 && r != -ENXIO && r != -ENOENT)
                        return r;
                if (r >= 0 && lb.is_node && blockdev_name_from_devnum(sysroot, lb.devnum, &lower) >= 0) {
                        r = underlying_add(sysroot, lower, l, depth + 1);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int blockdev_underlying(const char *sysroot, const char *name, char ***ret_names) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = underlying_add(sysroot, name, &l, 0);
        if (r < 0)
                return r;
        *ret_names = TAKE_PTR(l);
        return 0;
}

bool blockdev_name_is_ram(const char *name) {
        const char *n = startswith(name, "zram") ?: startswith(name, "ram");
        return n && *n && strspn(n, "0123456789") == strlen(n);
}

void loop_backing_done(LoopBacking *b) {
        if (!b)
                return;
        b->file = mfree(b->file);
}

static int read_backing_file(const char *sysroot, const char *name, char **ret) {
        _cleanup_free_ char *dir = NULL, *p = NULL, *s = NULL;
        size_t n;
        int r;

        r = blockdev_sysfs_dir(sysroot, name, &dir);
        if (r < 0)
                return r == -ENOENT ? -ENXIO : r;
        p = path_join(dir, "loop/backing_file");
        if (!p)
                return -ENOMEM;
        /* Present only while the loop device is attached. */
        r = read_full_file(p, 8192, &s, &n);
        if (r == -ENOENT)
                return -ENXIO;
        if (r < 0)
                return r;
        while (n > 0 && s[n - 1] == '\n')
                s[--n] = '\0';
        if (n == 0)
                return -ENXIO;
        *ret = TAKE_PTR(s);
        return 0;
}

int blockdev_loop_backing(const char *sysroot, const char *name, LoopBacking *ret) {
        _cleanup_free_ char *file = NULL;
        LoopBacking b = {};
        int r;

        r = read_backing_file(sysroot, name, &file);
        if (r < 0)
                return r;

        if (root_is_host(sysroot)) {
                _cleanup_free_ char *node = path_join("/dev", name);
                _cleanup_close_ int fd = -1;
                struct loop_info64 info = {};

                if (!node)
                        return -ENOMEM;
                fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd >= 0 && ioctl(fd, LOOP_GET_STATUS64, &info) >= 0) {
                        /* lo_rdevice is the backing file's st_rdev: set for
                         * a device node (a loop device takes only block
                         * devices and regular files). */
                        b.is_node = info.lo_rdevice != 0;
                        b.devnum = (dev_t) (b.is_node ? info.lo_rdevice : info.lo_device);
                        b.file = TAKE_PTR(file);
                        *ret = b;
                        return 0;
                }
        }

        /* By the path, inside sysroot: a device node, or a file on a
         * filesystem. */
        {
                _cleanup_free_ char *full = sysroot_path(sysroot, file);
                _cleanup_free_ char *dir = NULL;
                struct stat st;
                const char *dev = startswith(file, "/dev/");

                if (!full)
                        return -ENOMEM;
                if (stat(full, &st) >= 0 && S_ISBLK(st.st_mode)) {
                        b.is_node = true;
                        b.devnum = st.st_rdev;
                } else if (dev && !strchr(dev, '/') && blockdev_sysfs_dir(sysroot, dev, &dir) >= 0) {
                        /* Fixture trees hold plain files for nodes. */
                        _cleanup_blockdev_ BlockDev *d = NULL;
                        if (blockdev_load(sysroot, dev, &d) >= 0) {
                                b.is_node = true;
                                b.devnum = d->devnum;
                        }
                } else if (stat(full, &st) >= 0)
                        /* A file: the filesystem holding it (only where
                         * sysroot is a real tree; a fixture says 0). */
                        b.devnum = root_is_host(sysroot) ? st.st_dev : 0;
        }
        b.file = TAKE_PTR(file);
        *ret = b;
        return 0;
}
