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
                tap_skip_missing("tmpfs accepted", "root");
        } else if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                tap_skip("overlay refused", "no private mount namespace here");
                tap_skip("tmpfs accepted", "no private mount namespace here");
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
                if (mount("tmpfs", merged, "tmpfs", 0, NULL) < 0)
                        tap_skip("tmpfs accepted", "tmpfs cannot be mounted here");
                else {
                        _cleanup_free_ char *r3 = NULL;
                        ok_int(mount_check_data_fs(merged, &r3), 0, "tmpfs accepted");
                        (void) umount2(merged, MNT_DETACH);
                }
        }

        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0)
                (void) system(cmd);
        return tap_done();
}
