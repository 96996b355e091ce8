/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/fstab.h"
#include "disk/mount-dropin.h"
#include "tap.h"
#include "util/macro.h"
#include "util/backup.h"
#include "util/fileio.h"
#include "util/path.h"

#define UUID "11111111-2222-4333-8444-555555555555"

static char *fixture(const char *name) {
        char *p;
        if (asprintf(&p, "%s/disk/fstab/%s", fixtures_dir(), name) < 0)
                return NULL;
        return p;
}

/* Edits fixture in, compares with the expected file out (NULL: no change). */
static void check_edit(const char *in, const char *out, const char *target) {
        _cleanup_free_ char *pin = fixture(in), *content = NULL, *expected = NULL, *pout = NULL, *conflict = NULL;
        int r;

        r = fstab_edit(pin, UUID, target, "ext4", &content, &conflict);
        if (!out) {
                ok_int(r, 0, "%s: already right, unchanged", in);
                return;
        }
        pout = fixture(out);
        ok_int(r, 1, "%s: changed", in);
        ok(read_full_file(pout, 0, &expected, NULL) == 0, "%s readable", out);
        ok_streq(content, expected, "%s → %s", in, out);
}

static void test_edit(void) {
        check_edit("basic.in", "basic.out", "/mnt/docker-data");
        check_edit("basic.out", NULL, "/mnt/docker-data");
        check_edit("basic.out", NULL, "/mnt/docker-data/"); /* same path, other spelling */
        check_edit("ours-old.in", "ours-old.out", "/mnt/docker-data");
        check_edit("ours-dup.in", "ours-dup.out", "/mnt/docker-data");
        /* Our line first in the file: libmount files its marker as the
         * file's intro comment; it must still count as ours. */
        check_edit("ours-first.in", "ours-first.out", "/mnt/docker-data");
        check_edit("ours-first.out", NULL, "/mnt/docker-data");
        check_edit("ours-dup.out", NULL, "/mnt/docker-data");
        check_edit("admin-same.in", NULL, "/mnt/docker-data");
}

static void test_conflicts(void) {
        _cleanup_free_ char *t = fixture("conflict-target.in"), *u = fixture("conflict-uuid.in"),
                            *b = fixture("basic.in");
        _cleanup_free_ char *c1 = NULL, *c2 = NULL, *c3 = NULL, *content = NULL;

        ok_int(fstab_edit(t, UUID, "/mnt/docker-data", "ext4", &content, &c1), -EEXIST,
               "another device on the mount point is a conflict");
        ok_streq(c1, "/dev/sdb1 /mnt/docker-data ext4 defaults", "the conflicting line is quoted");
        ok_int(fstab_edit(u, UUID, "/mnt/docker-data", "ext4", &content, &c2), -EEXIST,
               "the same filesystem mounted elsewhere by a foreign line is a conflict");
        ok(c2 && strstr(c2, "/data xfs"), "... and quoted");
        ok_int(fstab_check_target(t, "/mnt/docker-data", &c3), -EEXIST, "check_target sees the foreign line");
        ok_int(fstab_check_target(b, "/mnt/docker-data", NULL), 0, "check_target: free mount point");
        ok(content == NULL, "no content on conflict");
}

/* What libmount would drop when the table is written back: refused, with
 * the line and why, by the check and by the edit; nothing else is. */
static void test_lossy(void) {
        static const struct {
                const char *text, *what;
        } cases[] = {
                { "UUID=a / ext4 defaults 0 1   # the root\n", "line 1 has a comment after its fields" },
                { "# intro\n\nbroken-line\n", "line 3 is no fstab entry" },
                { "UUID=a / ext4 defaults 0 1\n# last, no newline", "line 2, a comment, has no newline" },
        };
        char tmpl[] = "/tmp/test-disk-fstab-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *path = dir ? path_join(dir, "fstab") : NULL;

        ok(path != NULL, "a directory for the files");
        for (size_t i = 0; path && i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *c1 = NULL, *c2 = NULL, *content = NULL;

                ok(write_file_atomic(path, cases[i].text, strlen(cases[i].text), 0644) == 0, "case %zu written", i);
                ok_int(fstab_check_target(path, "/mnt/docker-data", &c1), -EBADMSG, "%s: the check refuses",
                       cases[i].what);
                ok(c1 && strstr(c1, cases[i].what), "… and says so (%s)", strna(c1));
                ok_int(fstab_edit(path, UUID, "/mnt/docker-data", "ext4", &content, &c2), -EBADMSG,
                       "%s: the edit refuses, no content", cases[i].what);
                ok(!content, "… nothing to write");
        }
        if (path) {
                const char *fine = "# a comment\n\nUUID=a / ext4 defaults 0 1\n# the end\n";
                ok(write_file_atomic(path, fine, strlen(fine), 0644) == 0, "comments on lines of their own");
                ok_int(fstab_check_rewrite(path, NULL), 0, "… lose nothing");
                (void) unlink(path);
        }
        if (dir)
                (void) rmdir(dir);
}

/* An image's /etc/fstab that links elsewhere by an absolute path: read
 * where it is written, inside the image, never on the running host. */
static void test_path_in_image(void) {
        char tmpl[] = "/tmp/test-disk-fstab-XXXXXX";
        char *root = mkdtemp(tmpl);
        _cleanup_free_ char *etc = root ? path_join(root, "etc/static") : NULL, *link = NULL, *want = NULL,
                            *got = NULL, *missing = NULL;

        ok(etc && mkdir_p(etc, 0755) == 0, "an image with /etc/static");
        link = path_join(root, "etc/fstab");
        want = path_join(root, "etc/static/fstab");
        ok(link && want && write_file_atomic(want, "# image\n", 8, 0644) == 0 && symlink("/etc/static/fstab", link) == 0,
           "its /etc/fstab links to /etc/static/fstab");
        got = fstab_path(root);
        ok_streq(got, want, "the file read is the link's target inside the image");
        (void) unlink(link);
        (void) unlink(want);
        missing = fstab_path(root);
        ok(missing && streq(missing, link), "no /etc/fstab yet: the plain path (%s)", strna(missing));
        (void) rmdir(etc);
        if (etc)
                etc[strlen(etc) - strlen("/static")] = 0;
        (void) rmdir(etc);
        (void) rmdir(root);
}

static void test_find_ours(void) {
        _cleanup_free_ char *p = fixture("ours-dup.out"), *t = NULL, *b = fixture("basic.in"), *t2 = NULL;

        ok_int(fstab_find_ours(p, UUID, &t), 0, "our line is found");
        ok_streq(t, "/mnt/docker-data", "its target");
        ok_int(fstab_find_ours(b, UUID, &t2), -ENOENT, "no line of ours in a stock fstab");
}

static void test_missing_file(void) {
        _cleanup_free_ char *content = NULL;

        ok_int(fstab_edit("/nonexistent/fstab", UUID, "/mnt/d", "xfs", &content, NULL), 1,
               "a missing fstab is an empty one");
        ok_streq(content,
                 "# docker-relocate: data volume\n"
                 "UUID=" UUID " /mnt/d xfs defaults,nofail,x-systemd.device-timeout=30s 0 2\n",
                 "new fstab content");
}

static void test_write_and_backup(void) {
        char tmpl[] = "/tmp/test-disk-fstab-XXXXXX";
        char *root = mkdtemp(tmpl);
        _cleanup_free_ char *etc = NULL, *fstab = NULL, *backup = NULL, *backup2 = NULL, *backup3 = NULL, *full = NULL, *data = NULL,
                            *cmd = NULL, *now = NULL;

        ok(root != NULL, "mkdtemp");
        etc = path_join(root, "etc");
        fstab = path_join(root, "etc/fstab");
        ok(mkdir_p(etc, 0755) == 0, "mkdir etc");
        ok(write_file_atomic(fstab, "old\n", 4, 0644) == 0, "old fstab");

        ok_int(fstab_write(root, "new\n", &backup), 0, "write");
        ok(read_full_file(fstab, 0, &now, NULL) == 0 && streq(now, "new\n"), "fstab replaced");
        ok(backup && startswith(backup, BACKUP_DIR "/") && endswith(backup, "-etc_fstab"),
           "backup named by time and path: %s", strna(backup));
        full = backup ? root_path(root, backup) : NULL;
        ok(full && read_full_file(full, 0, &data, NULL) == 0 && streq(data, "old\n"), "backup holds the old content");

        /* A second change within the same second keeps the first backup. */
        ok_int(backup_file(root, "/etc/fstab", &backup2), 0, "second backup");
        ok(backup2 && !streq(backup2, strempty(backup)), "second backup does not overwrite the first");
        ok_int(backup_file(root, "/etc/nonexistent", &backup3), 0, "missing file: nothing to back up");
        ok(backup3 == NULL, "... and no path");

        /* A linked fstab: the target is replaced, the link stays. */
        {
                _cleanup_free_ char *real = path_join(root, "etc/fstab.real"), *after = NULL;
                struct stat st;

                ok(rename(fstab, real) == 0 && symlink("fstab.real", fstab) == 0, "fstab as a link");
                ok_int(fstab_write(root, "linked\n", NULL), 0, "write through the link");
                ok(lstat(fstab, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
                ok(read_full_file(real, 0, &after, NULL) == 0 && streq(after, "linked\n"), "its target was written");
        }

        if (asprintf(&cmd, "rm -rf '%s'", root) > 0)
                (void) system(cmd);
}

static void test_dropin(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        ok_int(mount_dropin_content("/mnt/docker-data", &a), 0, "drop-in content");
        ok(a && strstr(a, "[Unit]\nRequiresMountsFor=/mnt/docker-data\n"), "RequiresMountsFor= the mount point");
        ok_int(mount_dropin_content("/mnt/my data/100%", &b), 0, "odd path");
        ok(b && strstr(b, "RequiresMountsFor=\"/mnt/my data/100%%\"\n"), "quoted, %% doubled");
        ok_int(mount_dropin_content("relative", &c), -EINVAL, "relative path refused");
}

/* Our line taken out again: the file as it was around it. */
static void check_remove(const char *in, const char *expected_text) {
        _cleanup_free_ char *pin = fixture(in), *content = NULL, *none = NULL;

        ok_int(fstab_remove_ours(pin, UUID, "/mnt/docker-data", &content), 1, "%s: our line removed", in);
        ok_streq(content, expected_text, "%s: the rest as it was", in);
        ok_int(fstab_remove_ours(pin, UUID, "/mnt/other", &none), 0, "%s: no line of ours on another target", in);
}

static void test_remove(void) {
        _cleanup_free_ char *admin = fixture("admin-same.in"), *c = NULL;

        check_remove("basic.out",
                     "# /etc/fstab: static file system information.\n"
                     "#\n"
                     "# Use 'blkid' to print the universally unique identifier for a\n"
                     "# device; this may be used with UUID= as a more robust way to name devices\n"
                     "# that works even if disks are added and removed. See fstab(5).\n"
                     "#\n"
                     "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
                     "UUID=0a1b2c3d-0000-4000-8000-000000000001 / ext4 errors=remount-ro 0 1\n"
                     "\n"
                     "# swap was on /dev/vda5 during installation\n"
                     "UUID=0a1b2c3d-0000-4000-8000-000000000002 none swap sw 0 0\n"
                     "/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0\n");
        /* The marker in the file's intro goes with the line. */
        check_remove("ours-first.out", "# /etc/fstab written by an installer\nproc /proc proc defaults 0 0\n");
        ok_int(fstab_remove_ours(admin, UUID, "/mnt/docker-data", &c), 0,
               "the administrator's own line for the volume stays");
}

/* What a run killed while writing a bound /etc/fstab in place leaves: its
 * record (FSTAB_PENDING) and a file that is new[0..k) + old[k..), or the new
 * content followed by the old tail the final truncate did not cut. The next
 * run puts the backup back; a file that is whole (old or new) or changed by
 * someone else stays; the record goes either way. */
static void test_recover(void) {
        /* libmount writes single spaces between fields: the new content
         * can be shorter than the old. */
        static const char old[] = "UUID=1111        /       ext4    errors=remount-ro       0       1\n"
                                  "proc            /proc           proc    defaults        0       0\n";
        static const char new[] = "UUID=1111 / ext4 errors=remount-ro 0 1\nproc /proc proc defaults 0 0\n# ours\nUUID=2 /d ext4 d 0 2\n";
        struct {
                const char *name, *now;
                int want;
                const char *after;
        } cases[] = {
                { "cut before the truncate", NULL, 1, old },
                { "cut in the middle", NULL, 1, old },
                { "written", new, 0, new },
                { "not begun", old, 0, old },
                { "changed since", "tmpfs /tmp tmpfs defaults 0 0\n", 0, "tmpfs /tmp tmpfs defaults 0 0\n" },
        };
        char tmpl[] = "/tmp/test-disk-fstab-XXXXXX";
        char *root = mkdtemp(tmpl);
        _cleanup_free_ char *fstab = root ? path_join(root, "etc/fstab") : NULL, *etc = root ? path_join(root, "etc") : NULL,
                            *rec = root ? root_path(root, FSTAB_PENDING) : NULL,
                            *cmd = NULL, *torn = NULL, *middle = NULL;

        _Static_assert(sizeof(new) < sizeof(old), "the new content is the shorter");
        if (!root || !fstab || !etc || !rec || asprintf(&torn, "%s%s", new, old + strlen(new)) < 0 ||
            asprintf(&middle, "%.20s%s", new, old + 20) < 0) {
                ok(false, "recover: a tree");
                return;
        }
        /* new is shorter than old: a write cut before its truncate leaves
         * old's tail after it. */
        cases[0].now = torn;
        cases[1].now = middle;
        ok_int(fstab_recover(root, NULL), 0, "recover: no record, nothing to do");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *backup = NULL, *record = NULL, *now = NULL, *said = NULL;

                ok(mkdir_p(etc, 0755) == 0 && write_file_atomic(fstab, old, strlen(old), 0644) == 0 &&
                   backup_file(root, "/etc/fstab", &backup) == 0 && backup,
                   "recover, %s: the old fstab and its backup", cases[i].name);
                if (!backup || asprintf(&record, "%s\n%s", backup, new) < 0)
                        continue;
                ok(write_file_beneath(root, FSTAB_PENDING, record, strlen(record), 0600, 0700) == 0 &&
                   write_file_atomic(fstab, cases[i].now, strlen(cases[i].now), 0644) == 0,
                   "recover, %s: the record and the file a killed run left", cases[i].name);
                ok_int(fstab_recover(root, &said), cases[i].want, "recover, %s: %s", cases[i].name,
                       cases[i].want ? "put back" : "left");
                ok(read_full_file(fstab, 0, &now, NULL) == 0 && streq(now, cases[i].after), "recover, %s: fstab as it must be",
                   cases[i].name);
                ok(!cases[i].want || (said && streq(said, backup)), "recover, %s: names the backup (%s)", cases[i].name,
                   strna(said));
                ok(access(rec, F_OK) < 0 && errno == ENOENT, "recover, %s: the record is gone", cases[i].name);
        }
        if (asprintf(&cmd, "rm -rf '%s'", root) > 0)
                (void) system(cmd);
}

int main(void) {
        test_edit();
        test_remove();
        test_conflicts();
        test_lossy();
        test_path_in_image();
        test_find_ours();
        test_missing_file();
        test_write_and_backup();
        test_recover();
        test_dropin();
        return tap_done();
}
