/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a failed prepare says it left (disk_prepare_advice()): advice for
 * every state a run can stop in after a change, and none before one; the
 * state of the device, the mount point, the mount and the fstab line as
 * they are, and whether a new run needs --wipe or reuses the filesystem. */
#include <stdlib.h>
#include <string.h>

#include "disk/prepare.h"
#include "tap.h"
#include "util/macro.h"

static PrepareResult result(PrepareDevice device) {
        return (PrepareResult){
                .disk = (char *)"/dev/vdb",
                .fs_node = (char *)"/dev/vdb1",
                .uuid = (char *)"1234-abcd",
                .fstype = (char *)"ext4",
                .mount = (char *)"/mnt/data",
                .done = {.device = device},
        };
}

/* The advice for res, "" when there is none, NULL when it failed. */
static char *advice_of(const PrepareResult *res, const char *again) {
        char *a = NULL;

        if (disk_prepare_advice(res, again, &a) < 0)
                return NULL;
        return a ?: strdup("");
}

static bool has(const char *s, const char *part) {
        return s && strstr(s, part);
}

static void test_nothing_done(void) {
        PrepareResult res = result(PREPARE_DEVICE_UNTOUCHED);
        _cleanup_free_ char *a = advice_of(&res, "prepare");

        ok_streq(a, "", "nothing done: no advice (a plain failure, exit 1)");
}

/* Every state of the device: advice, and the right way on. */
static void test_device(void) {
        static const struct {
                PrepareDevice device;
                bool recorded;
                const char *says;
                bool wipe;
        } cases[] = {
                {PREPARE_DEVICE_WIPING, false, "Signatures on /dev/vdb may be partly wiped", true},
                {PREPARE_DEVICE_WIPED, false, "Every signature on /dev/vdb was wiped", false},
                {PREPARE_DEVICE_PARTITIONING, false, "/dev/vdb may hold a partial partition table", true},
                {PREPARE_DEVICE_PARTITIONED, false, "/dev/vdb holds a new partition table with one partition", true},
                {PREPARE_DEVICE_FORMATTING, false, "/dev/vdb1 may hold part of a filesystem", true},
                {PREPARE_DEVICE_FORMATTED, false, "(UUID=1234-abcd) was made on /dev/vdb1 but is not recorded", true},
                {PREPARE_DEVICE_FORMATTED, true, "(UUID=1234-abcd) was made on /dev/vdb1 and recorded", false},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                PrepareResult res = result(cases[i].device);
                _cleanup_free_ char *a = NULL;

                res.done.recorded = cases[i].recorded;
                a = advice_of(&res, "prepare");
                ok(has(a, cases[i].says), "device state %zu: says '%s'", i, cases[i].says);
                ok(has(a, "nothing is mounted or in /etc/fstab"), "device state %zu: nothing mounted", i);
                ok(has(a, "run prepare again with --wipe") == cases[i].wipe, "device state %zu: %s --wipe", i,
                        cases[i].wipe ? "with" : "without");
                ok(has(a, "(it reuses the filesystem)") ==
                                (cases[i].device == PREPARE_DEVICE_FORMATTED && cases[i].recorded),
                        "device state %zu: a reuse promised only for a recorded filesystem", i);
                if (!a || !*a)
                        tap_diag_value("advice:", a);
        }
}

static void test_mount_point(void) {
        PrepareResult res = result(PREPARE_DEVICE_UNTOUCHED);
        _cleanup_free_ char *made = NULL, *guarded = NULL;

        /* A reused volume: the mount point made, the mount failed. */
        res.done.made_dir = (char *)"/mnt/data";
        res.done.guarded = true;
        made = advice_of(&res, "prepare");
        ok(has(made, "The ext4 filesystem on /dev/vdb1 (UUID=1234-abcd) is as it was; it is not mounted; /mnt/data "
                     "was made an empty, immutable mount point"),
                "reused, mount point made: says so");
        ok(has(made, "run prepare again (it reuses the filesystem and the mount point); to give the mount point up, "
                     "chattr -i and rmdir /mnt/data."),
                "reused, mount point made: what to do, both ways");

        /* An existing directory made immutable. */
        res.done.made_dir = NULL;
        guarded = advice_of(&res, "prepare");
        ok(has(guarded, "/mnt/data was made an empty, immutable mount point"), "reused, directory guarded: says so");
}

static void test_mounted(void) {
        PrepareResult res = result(PREPARE_DEVICE_FORMATTED);
        _cleanup_free_ char *a = NULL, *b = NULL;

        res.done.recorded = res.done.mounted = true;
        a = advice_of(&res, "prepare");
        ok(has(a, "it is mounted on /mnt/data but has no line in /etc/fstab"), "mounted without fstab: says so");
        ok(has(a, "run prepare again (it reuses the filesystem and adds the line), or unmount /mnt/data."),
                "mounted without fstab: what to do");

        /* What a move's undo could not take back. */
        res.done.fstab_written = (char *)"UUID=1234-abcd /mnt/data ext4 defaults 0 2\n";
        b = advice_of(&res, "the move");
        ok(has(b, "it is mounted on /mnt/data and has its line in /etc/fstab"), "mounted with fstab: says so");
        ok(has(b, "run the move again (it reuses the filesystem), or unmount /mnt/data."),
                "mounted with fstab: names the command that goes on");
}

int main(void) {
        test_nothing_done();
        test_device();
        test_mount_point();
        test_mounted();
        return tap_done();
}
