/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/mount.h"
#include "tap.h"
#include "util/macro.h"
#include "util/path.h"

/* mount_check_data_fs() on real filesystems. The overlay case needs root: it
 * runs in a private mount namespace of its own, so nothing leaks. */

int main(void) {
        char tmpl[] = "/tmp/test-disk-datafs-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *reason = NULL, *reason2 = NULL, *lower = NULL, *upper = NULL, *work = NULL,
                            *merged = NULL, *cmd = NULL;

        ok(dir != NULL, "mkdtemp");
        ok_int(mount_check_data_fs(dir, &reason), 0, "a local directory is fine");
        ok_int(mount_check_data_fs("/nonexistent/dir", &reason), -ENOENT, "a missing directory is an error");

        if (geteuid() != 0) {
                tap_skip_missing("overlay refused", "root");
                tap_skip_missing("tmpfs refused", "root");
                tap_skip_missing("ramfs refused", "root");
                tap_skip_missing("read-only mount refused", "root");
        } else if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                tap_skip("overlay refused", "no private mount namespace here");
                tap_skip("tmpfs refused", "no private mount namespace here");
                tap_skip("ramfs refused", "no private mount namespace here");
                tap_skip("read-only mount refused", "no private mount namespace here");
        } else {
                lower = path_join(dir, "lower");
                upper = path_join(dir, "upper");
                work = path_join(dir, "work");
                merged = path_join(dir, "merged");
                ok(mkdir(lower, 0755) == 0 && mkdir(upper, 0755) == 0 && mkdir(work, 0755) == 0 &&
                           mkdir(merged, 0755) == 0,
                   "overlay dirs");
                {
                        _cleanup_free_ char *opts = NULL;
                        ok(asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) > 0, "opts");
                        if (mount("overlay", merged, "overlay", 0, opts) < 0)
                                tap_skip("overlay refused", "overlay cannot be mounted here");
                        else {
                                ok_int(mount_check_data_fs(merged, &reason2), 1, "overlay refused");
                                ok(reason2 && strstr(reason2, "overlay"), "... saying overlay");
                                (void) umount2(merged, MNT_DETACH);
                        }
                }
                /* Docker's data in memory is lost at the next reboot. */
                if (mount("tmpfs", merged, "tmpfs", 0, NULL) < 0)
                        tap_skip("tmpfs refused", "tmpfs cannot be mounted here");
                else {
                        _cleanup_free_ char *r3 = NULL;
                        ok_int(mount_check_data_fs(merged, &r3), 1, "tmpfs refused");
                        ok(r3 && strstr(r3, "tmpfs") && strstr(r3, "lost at the next reboot"),
                           "... saying tmpfs loses it at reboot: %s", strna(r3));
                        (void) umount2(merged, MNT_DETACH);
                }
                if (mount("ramfs", merged, "ramfs", 0, NULL) < 0)
                        tap_skip("ramfs refused", "ramfs cannot be mounted here");
                else {
                        _cleanup_free_ char *r4 = NULL;
                        ok_int(mount_check_data_fs(merged, &r4), 1, "ramfs refused");
                        ok(r4 && strstr(r4, "ramfs"), "... saying ramfs");
                        (void) umount2(merged, MNT_DETACH);
                }
                /* A read-only bind of the local directory: same filesystem,
                 * but nothing can be written through this mount. */
                if (mount(lower, merged, NULL, MS_BIND, NULL) < 0 ||
                    mount(NULL, merged, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                        tap_skip("read-only mount refused", "cannot bind read-only here");
                else {
                        _cleanup_free_ char *r5 = NULL;
                        ok_int(mount_check_data_fs(merged, &r5), 1, "read-only mount refused");
                        ok(r5 && strstr(r5, "read-only"), "... saying read-only");
                        (void) umount2(merged, MNT_DETACH);
                }
        }

        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0)
                (void) system(cmd);
        return tap_done();
}
