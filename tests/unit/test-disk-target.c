/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/target.h"
#include "tap.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/precheck.h"

/* Where a data root or its mount point may go, and what a plan checks of
 * each write before the first one. Paths of this host; no root needed. */

static void place(const char *path, const char *const *trees, const char *want) {
        _cleanup_free_ char *why = NULL;
        int r = target_check_place(path, trees, &why);

        if (!want) {
                ok_int(r, 0, "%s is a fine place", path);
                if (r != 0)
                        printf("#   %s\n", strna(why));
                return;
        }
        ok_int(r, 1, "%s is refused", path);
        ok(why && strstr(why, want), "... saying \"%s\": %s", want, strna(why));
}

static void test_place(void) {
        const char *const data_root[] = { "/srv/docker/data", NULL };

        place("/mnt/docker-data", NULL, NULL);
        place("/data/docker", data_root, NULL);
        place("/", NULL, "is a system directory");
        place("/var/lib", NULL, "is a system directory");
        place("/mnt", NULL, "is a system directory");
        place("/etc/docker-data", NULL, "is inside /etc");
        place("/usr/local/docker", NULL, "is inside /usr");
        place("/proc/x", NULL, "is inside /proc");
        place("/run/docker-data", NULL, "is inside /run");
        place("/boot/efi/x", NULL, "is inside /boot");
        place("/var/lib/docker/volume-data", NULL, "lies inside /var/lib/docker (Docker's default data root)");
        place("/var/lib/containerd/x", NULL, "containerd");
        place("/var/lib/docker-relocate/x", NULL, "this tool's journal");
        place("/srv/docker/data/vol", data_root, "lies inside /srv/docker/data");
        place("/srv/docker", data_root, "lies above /srv/docker/data");
        place("/srv/docker/data", data_root, "lies inside /srv/docker/data");
        /* Only whole components count. */
        place("/var/lib/docker-data", NULL, NULL);
        place("/etcetera/x", NULL, NULL);
}

static void test_resolve(void) {
        char tmpl[] = "/tmp/test-disk-target-XXXXXX";
        char *root = mkdtemp(tmpl);
        _cleanup_free_ char *real = NULL, *lnk = NULL, *given = NULL, *canon = NULL, *why = NULL, *amb = NULL,
                            *cmd = NULL, *c2 = NULL;

        ok(root != NULL, "mkdtemp");
        real = path_join(root, "real/sub");
        lnk = path_join(root, "lnk");
        ok(mkdir_p(real, 0755) == 0 && symlink(real, lnk) == 0, "lnk -> real/sub");

        given = path_join(root, "lnk/data");
        ok_int(target_resolve("--mount", given, &canon, &why), 0, "a path through a link resolves");
        free(real);
        real = path_join(root, "real/sub/data");
        ok_streq(canon, real, "... to where it leads");

        amb = path_join(root, "lnk/../data");
        ok_int(target_resolve("--mount", amb, &c2, &why), 1, "'..' after a link is refused");
        ok(why && strstr(why, "reads two ways") && strstr(why, "--mount"), "... saying it reads two ways: %s",
           strna(why));

        if (asprintf(&cmd, "rm -rf '%s'", root) > 0)
                (void) system(cmd);
}

/* r and why come from one call made before: arguments have no order. */
static void expect_reason(int r, const char *why, const char *want, const char *what) {
        ok_int(r, 1, "%s: refused", what);
        ok(why && strstr(why, want), "%s: says \"%s\": %s", what, want, strna(why));
}

static void test_precheck(void) {
        char tmpl[] = "/tmp/test-precheck-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *file = path_join(dir, "file"), *link = path_join(dir, "link"),
                            *sub = path_join(dir, "sub"), *fifo = path_join(dir, "fifo"),
                            *deep = path_join(dir, "a/b/c"), *under = path_join(dir, "file/x"),
                            *ldir = path_join(dir, "ldir"), *inldir = path_join(dir, "ldir/state.json"),
                            *imm = path_join(dir, "imm"), *inimm = path_join(dir, "imm/new/dir"), *cmd = NULL;
        _cleanup_close_ int ifd = -1;
        int flags;

        ok(dir && write_file_atomic(file, "x", 1, 0644) == 0 && symlink(file, link) == 0 && mkdir(sub, 0755) == 0 &&
                   mkfifo(fifo, 0600) == 0 && symlink(sub, ldir) == 0,
           "fixtures");

        {
                _cleanup_free_ char *why = NULL;
                ok_int(precheck_replace(file, false, &why), 0, "a plain file may be replaced");
        }
        {
                _cleanup_free_ char *why = NULL;
                ok_int(precheck_replace(deep, false, &why), 0, "a new file in directories still to make");
        }
        {
                _cleanup_free_ char *why = NULL;
                int r_ = precheck_replace(link, false, &why);
                expect_reason(r_, why, "is a symbolic link", "a link, not followed");
        }
        {
                _cleanup_free_ char *why = NULL;
                ok_int(precheck_replace(link, true, &why), 0, "a link, followed to its plain file");
        }
        {
                _cleanup_free_ char *why = NULL;
                int r_ = precheck_replace(inldir, false, &why);
                expect_reason(r_, why, "in a directory that is a symbolic link",
                              "a file in a linked directory");
        }
        {
                _cleanup_free_ char *why = NULL;
                int r_ = precheck_replace(sub, false, &why);
                expect_reason(r_, why, "a directory", "a directory");
        }
        {
                _cleanup_free_ char *why = NULL;
                int r_ = precheck_replace(fifo, false, &why);
                expect_reason(r_, why, "a FIFO", "a FIFO");
        }
        {
                _cleanup_free_ char *why = NULL;
                int r_ = precheck_mkdir(under, false, &why);
                expect_reason(r_, why, "is not a directory",
                              "a directory below a file");
        }
        {
                _cleanup_free_ char *why = NULL;
                int r_ = precheck_mkdir(ldir, false, &why);
                expect_reason(r_, why, "is a symbolic link", "a linked directory");
        }

        /* Immutable directories need root and a filesystem with the flag. */
        ok(mkdir(imm, 0755) == 0, "mkdir imm");
        ifd = open(imm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (geteuid() == 0 && ifd >= 0 && ioctl(ifd, FS_IOC_GETFLAGS, &flags) == 0 &&
            (flags |= FS_IMMUTABLE_FL, ioctl(ifd, FS_IOC_SETFLAGS, &flags) == 0)) {
                _cleanup_free_ char *why = NULL, *why2 = NULL, *f = path_join(imm, "f");
                int r1 = precheck_mkdir(inimm, false, &why), r2 = precheck_replace(f, false, &why2);

                expect_reason(r1, why, "immutable", "a directory below an immutable one");
                expect_reason(r2, why2, "immutable", "a file in an immutable one");
                flags &= ~FS_IMMUTABLE_FL;
                (void) ioctl(ifd, FS_IOC_SETFLAGS, &flags);
        } else {
                tap_ok(1, "a directory below an immutable one # SKIP needs root and FS_IMMUTABLE_FL", __FILE__,
                       __LINE__);
                tap_ok(1, "a file in an immutable one # SKIP needs root and FS_IMMUTABLE_FL", __FILE__, __LINE__);
        }

        if (asprintf(&cmd, "rm -rf '%s'", dir) > 0)
                (void) system(cmd);
}

int main(void) {
        test_place();
        test_resolve();
        test_precheck();
        return tap_done();
}
