/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "disk/blockdev.h"
#include "disk/resolve.h"
#include "disk/safety.h"
#include "disk/stack.h"
#include "disk/usage.h"
#include "tap.h"
#include "util/strv.h"

static char *sysroot(const char *name) {
        char *p;
        if (asprintf(&p, "%s/disk/%s", fixtures_dir(), name) < 0)
                return NULL;
        return p;
}

static void check_resolve(const char *root, const char *spec, const char *want, ResolveHow want_how) {
        _cleanup_free_ char *name = NULL;
        ResolveHow how = 99;
        int r;

        r = disk_resolve(root, spec, &name, &how);
        ok_int(r, 0, "resolve %s", spec);
        ok_streq(name, want, "%s is %s", spec, want);
        ok_int(how, want_how, "%s resolved by %s", spec, resolve_how_to_string(want_how));
}

static void check_resolve_fails(const char *root, const char *spec, int want) {
        _cleanup_free_ char *name = NULL;
        ResolveHow how;

        ok_int(disk_resolve(root, spec, &name, &how), want, "resolve %s fails with %d", spec, want);
}

static void test_blockdev_nitro(const char *root) {
        _cleanup_blockdev_ BlockDev *d = NULL, *p = NULL, *s = NULL;
        _cleanup_strv_free_ char **disks = NULL, **under = NULL;
        _cleanup_free_ char *name = NULL, *j = NULL;

        ok_int(blockdev_list_disks(root, &disks), 0, "list disks");
        j = strv_join(disks, ",");
        ok_streq(j, "dm-0,nvme0n1,nvme1n1,nvme2n1,nvme3n1", "all disks, sorted");

        ok_int(blockdev_load(root, "nvme1n1", &d), 0, "load nvme1n1");
        ok_int(d->size, 209715200ULL * 512, "size in bytes from 512-byte sectors");
        ok_streq(d->model, "Amazon Elastic Block Store", "model trimmed");
        ok_int(d->kind, DISK_KIND_EBS, "EBS");
        ok_streq(d->volume_id, "vol-0abc123def4567890", "volume id from the serial");
        ok_streq(d->ec2_name, "sdf", "EC2 name from the identify data");
        ok(major(d->devnum) == 259 && minor(d->devnum) == 2, "devnum 259:2");
        ok(d->parent == NULL && d->partno == 0, "a whole disk");

        ok_int(blockdev_load(root, "nvme0n1p1", &p), 0, "load a partition");
        ok_streq(p->parent, "nvme0n1", "partition's disk");
        ok_int(p->partno, 1, "partition number");

        ok_int(blockdev_load(root, "nvme2n1", &s), 0, "load instance store");
        ok_int(s->kind, DISK_KIND_INSTANCE_STORE, "instance store");
        ok(s->volume_id == NULL, "no volume id for an instance store serial");

        ok_int(blockdev_name_from_devnum(root, makedev(259, 1), &name), 0, "name from devnum");
        ok_streq(name, "nvme0n1p1", "259:1 is nvme0n1p1");

        ok_int(blockdev_underlying(root, "dm-0", &under), 0, "underlying of dm-0");
        ok(strv_contains(under, "nvme3n1"), "dm-0 sits on nvme3n1");

        {
                _cleanup_free_ char *a = blockdev_partition_name("nvme0n1", 1), *b = blockdev_partition_name("xvdf", 1),
                                    *c = blockdev_partition_name("loop3", 2), *e = blockdev_partition_name("sdf", 10);
                ok_streq(a, "nvme0n1p1", "nvme partition naming");
                ok_streq(b, "xvdf1", "xvd partition naming");
                ok_streq(c, "loop3p2", "loop partition naming");
                ok_streq(e, "sdf10", "sd partition naming");
        }
}

static void test_resolve_nitro(const char *root) {
        check_resolve(root, "/dev/nvme1n1", "nvme1n1", RESOLVE_KERNEL_NAME);
        check_resolve(root, "nvme1n1", "nvme1n1", RESOLVE_KERNEL_NAME);
        check_resolve(root, "vol-0abc123def4567890", "nvme1n1", RESOLVE_VOLUME_ID);
        check_resolve(root, "vol0abc123def4567890", "nvme1n1", RESOLVE_VOLUME_ID);
        check_resolve(root, "sdf", "nvme1n1", RESOLVE_EC2_NAME);
        /* dev/sdf in the fixture is a stale link to nvme2n1 (the names
         * moved at a reboot): the identify data wins, the link is ignored. */
        check_resolve(root, "/dev/sdf", "nvme1n1", RESOLVE_EC2_NAME);
        check_resolve(root, "xvdf", "nvme1n1", RESOLVE_EC2_NAME);
        check_resolve(root, "/dev/xvdg", "nvme3n1", RESOLVE_EC2_NAME);
        check_resolve(root, "sdg", "nvme3n1", RESOLVE_EC2_NAME);
        check_resolve(root, "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc123def4567890", "nvme1n1",
                      RESOLVE_SYMLINK);
        check_resolve(root, "/dev/nvme0n1p1", "nvme0n1p1", RESOLVE_KERNEL_NAME);

        check_resolve_fails(root, "sdh", -ENOENT);
        {
                /* A link spelled like an EC2 name is not followed: without
                 * identify data naming sdf, there is no sdf. */
                _cleanup_free_ char *x = NULL;
                ResolveHow how;
                ok_int(disk_resolve(root, "/dev/sdq", &x, &how), -ENOENT, "link /dev/sdq, but no volume named sdq: not found");
        }
        check_resolve_fails(root, "vol-0000000000000000a", -ENOENT);
        check_resolve_fails(root, "nvme9n1", -ENOENT);
        check_resolve_fails(root, "../../etc/passwd", -EINVAL);
        check_resolve_fails(root, "", -EINVAL);
        check_resolve_fails(root, "UUID=", -EINVAL);
}

static void test_resolve_xen(const char *root) {
        _cleanup_blockdev_ BlockDev *d = NULL;

        ok_int(blockdev_load(root, "xvdf", &d), 0, "load xvdf");
        ok_streq(d->ec2_name, "sdf", "Xen: EC2 name from the kernel name");
        check_resolve(root, "sdf", "xvdf", RESOLVE_EC2_NAME);
        check_resolve(root, "/dev/sdf", "xvdf", RESOLVE_EC2_NAME);
        check_resolve(root, "xvdf", "xvdf", RESOLVE_KERNEL_NAME);
        check_resolve(root, "/dev/xvdf", "xvdf", RESOLVE_KERNEL_NAME);
        check_resolve_fails(root, "sdg", -ENOENT);
}

static void test_wait(const char *root) {
        _cleanup_free_ char *name = NULL;
        ResolveHow how;
        unsigned long long t0 = 0;

        ok_int(disk_resolve_wait(root, "sdz", 0, &name, &how), -ENOENT, "no wait: not found");
        t0 = (unsigned long long) time(NULL);
        ok_int(disk_resolve_wait(root, "sdz", 1, &name, &how), -ETIMEDOUT, "wait 1 s: timed out");
        ok((unsigned long long) time(NULL) - t0 <= 3, "and returned in time");
        ok_int(disk_resolve_wait(root, "sdf", 5, &name, &how), 0, "present device: no wait");
}

static void test_usage(const char *nitro, const char *xen) {
        _cleanup_strv_free_ char **targets = NULL;
        _cleanup_blockdev_ BlockDev *xvdf = NULL;
        const char *what = NULL;
        dev_t devnum;

        ok_int(usage_mount_points(nitro, makedev(259, 1), &targets), 0, "mount points");
        ok(strv_length(targets) == 1 && streq(targets[0], "/"), "nvme0n1p1 is mounted on /");
        ok_int(usage_mount_source(nitro, "/", &devnum, NULL), 0, "source of /");
        ok(devnum == makedev(259, 1), "/ comes from 259:1");
        ok_int(usage_mount_source(nitro, "/mnt", &devnum, NULL), -ENOENT, "/mnt is no mount point");

        ok_int(usage_backs_system(nitro, "nvme0n1", &what), 1, "the disk of the root partition backs /");
        ok_streq(what, "/", "... backs /");
        ok_int(usage_backs_system(nitro, "nvme0n1p1", &what), 1, "the root partition backs /");
        ok_int(usage_backs_system(nitro, "nvme1n1", &what), 0, "a data volume does not");
        /* /boot is on dm-0, which sits on nvme3n1. */
        ok_int(usage_backs_system(nitro, "nvme3n1", &what), 1, "a disk under a dm device backs what dm-0 holds");
        ok_streq(what, "/boot", "... /boot");

        ok_int(blockdev_load(xen, "xvdf", &xvdf), 0, "load xen xvdf");
        ok_int(usage_is_swap(xen, xvdf), 1, "xvdf is swap (/proc/swaps)");
}

static bool has_reason(char **l, const char *needle) {
        STRV_FOREACH(s, l)
                if (strstr(*s, needle))
                        return true;
        return false;
}

static void test_eligibility(const char *nitro, const char *xen) {
        EligibilityRequest req = {};
        struct {
                const char *root, *name, *reason; /* reason NULL: eligible */
        } cases[] = {
                { nitro, "nvme1n1", NULL },
                { nitro, "nvme0n1", "backs /" },
                { nitro, "nvme0n1", "is mounted on /" },
                { nitro, "nvme2n1", "instance-store" },
                { nitro, "nvme3n1", "held by dm-0" },
                { nitro, "nvme3n1", "backs /boot" },
                { xen, "xvdf", "swap" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_blockdev_ BlockDev *d = NULL;
                _cleanup_(eligibility_done) Eligibility e = {};

                ok_int(blockdev_load(cases[i].root, cases[i].name, &d), 0, "load %s", cases[i].name);
                ok_int(disk_check_eligibility(cases[i].root, d, &req, &e), 0, "check %s", cases[i].name);
                if (cases[i].reason)
                        ok(has_reason(e.refusals, cases[i].reason), "%s refused: %s", cases[i].name, cases[i].reason);
                else
                        ok(strv_length(e.refusals) == 0, "%s eligible", cases[i].name);
        }

        {
                _cleanup_blockdev_ BlockDev *d = NULL;
                _cleanup_(eligibility_done) Eligibility e = {}, e2 = {}, e3 = {}, e4 = {};
                EligibilityRequest allow = { .allow_instance_store = true };
                EligibilityRequest big = { .need_bytes = 200ULL << 30 };
                EligibilityRequest inodes = { .need_inodes = 100000000 };

                ok_int(blockdev_load(nitro, "nvme2n1", &d), 0, "load instance store");
                ok_int(disk_check_eligibility(nitro, d, &allow, &e), 0, "check with --allow-instance-store");
                ok(strv_length(e.refusals) == 0, "instance store allowed when asked");
                d = blockdev_free(d);

                ok_int(blockdev_load(nitro, "nvme1n1", &d), 0, "load 100 GiB volume");
                ok_int(disk_check_eligibility(nitro, d, &big, &e2), 0, "check size");
                ok(has_reason(e2.refusals, "too small"), "100 GiB refused when 200 GiB are needed");
                ok_int(disk_check_eligibility(nitro, d, &inodes, &e3), 0, "check inodes");
                ok(has_reason(e3.refusals, "inodes"), "refused for too many inodes");
                inodes.fstype = "xfs";
                ok_int(disk_check_eligibility(nitro, d, &inodes, &e4), 0, "check inodes for xfs");
                ok(!has_reason(e4.refusals, "inodes"), "xfs makes inodes as needed: no inode refusal");
        }

        ok(disk_size_needed(100ULL << 30) == (100ULL << 30) + (10ULL << 30), "10%% margin");
        ok(disk_size_needed(1000) == 1000 + (1ULL << 30), "at least 1 GiB margin");
}

static void test_stack(const char *loops) {
        struct {
                const char *name, *want; /* comma-joined */
        } users[] = {
                { "loop1", "loop0" },  /* by its node */
                { "loop3", "loop2" },  /* by a file on its mounted filesystem */
                { "loop5", "loop4" },
                { "loop10p1", "loop11" },
                { "loop8", "" },
                { "loop0", "" },
        };
        const char *what = NULL;

        for (size_t i = 0; i < ELEMENTSOF(users); i++) {
                _cleanup_strv_free_ char **l = NULL;
                _cleanup_free_ char *j = NULL;

                ok_int(blockdev_users(loops, users[i].name, &l), 0, "users of %s", users[i].name);
                j = strv_join(l, ",");
                ok_streq(j, users[i].want, "what is built on %s", users[i].name);
        }
        {
                _cleanup_(loop_backing_done) LoopBacking b = {}, f = {};
                _cleanup_strv_free_ char **lower = NULL, **none = NULL, **under = NULL;

                ok_int(blockdev_loop_backing(loops, "loop0", &b), 0, "loop0's backing");
                ok(b.is_node && b.devnum == makedev(7, 1), "loop0 is over the node of loop1");
                ok_streq(b.file, "/dev/loop1", "... named as the kernel shows it");
                ok_int(blockdev_loop_backing(loops, "loop2", &f), 0, "loop2's backing");
                ok(!f.is_node && streq(f.file, "/data/img"), "loop2 is over a file");
                ok_int(blockdev_loop_backing(loops, "loop8", &b), -ENXIO, "loop8 is not attached");
                ok_int(blockdev_lower(loops, "loop4", &lower), 0, "lower of loop4");
                ok(strv_length(lower) == 1 && streq(lower[0], "loop5"), "loop4 writes to loop5");
                ok_int(blockdev_lower(loops, "loop2", &none), 0, "lower of a file-backed loop");
                ok(strv_length(none) == 0, "a file-backed loop writes to no device of its own");
                ok_int(blockdev_underlying(loops, "loop6", &under), 0, "underlying of loop6");
                ok(strv_contains(under, "loop7"), "loop6 is built on loop7");
        }
        ok_int(usage_backs_system(loops, "loop7", &what), 1, "the backing device of the loop under / backs /");
        ok_int(usage_backs_system(loops, "loop8", &what), 0, "a free loop device backs nothing");

        {
                struct {
                        const char *name, *reason[3];
                } cases[] = {
                        { "loop1", { "backing device of /dev/loop0", "loop0 → mounted on /srv/a" } },
                        { "loop3", { "backing file of /dev/loop2 (/data/img)", "is mounted on /data" } },
                        { "loop4", { "writes to /dev/loop5", "mounted on /srv/b" } },
                        { "loop7", { "backs /" } },
                        { "loop10", { "/dev/loop10p1 is the backing device of /dev/loop11",
                                      "loop11 (attached; not mounted in this mount namespace)" } },
                        /* Nothing else uses the partition it writes to. */
                        { "loop11", { NULL } },
                        { "loop8", { NULL } },
                };
                EligibilityRequest req = { .wipe = true };

                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        _cleanup_blockdev_ BlockDev *d = NULL;
                        _cleanup_(eligibility_done) Eligibility e = {};

                        ok_int(blockdev_load(loops, cases[i].name, &d), 0, "load %s", cases[i].name);
                        ok_int(disk_check_eligibility(loops, d, &req, &e), 0, "check %s", cases[i].name);
                        if (!cases[i].reason[0]) {
                                ok(strv_length(e.refusals) == 0, "%s eligible", cases[i].name);
                                STRV_FOREACH(x, e.refusals)
                                        printf("#   %s\n", *x);
                        }
                        for (size_t k = 0; k < ELEMENTSOF(cases[i].reason) && cases[i].reason[k]; k++) {
                                ok(has_reason(e.refusals, cases[i].reason[k]), "%s refused: %s", cases[i].name,
                                   cases[i].reason[k]);
                                if (!has_reason(e.refusals, cases[i].reason[k]))
                                        STRV_FOREACH(x, e.refusals)
                                                printf("#   %s\n", *x);
                        }
                }
        }
        ok(blockdev_name_is_ram("zram0") && blockdev_name_is_ram("ram15") && !blockdev_name_is_ram("ram") &&
                   !blockdev_name_is_ram("ramdisk") && !blockdev_name_is_ram("zram0p1"),
           "RAM disk names");
}

int main(void) {
        _cleanup_free_ char *nitro = sysroot("sysroot-nitro"), *xen = sysroot("sysroot-xen"),
                            *loops = sysroot("sysroot-loops");

        test_blockdev_nitro(nitro);
        test_resolve_nitro(nitro);
        test_resolve_xen(xen);
        test_wait(nitro);
        test_usage(nitro, xen);
        test_eligibility(nitro, xen);
        test_stack(loops);
        return tap_done();
}
