/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "tree.h"
#include "util/backup.h"
#include "util/fileio.h"
#include "util/macro.h"

static int temp_files_in(const char *dir) {
        return tree_count_entries(dir, ".#");
}

static void test_write_atomic(void) {
        char *dir = tree_new("test-fileio");
        _cleanup_free_ char *f = path_join(dir, "daemon.json"), *l = path_join(dir, "link"),
                            *sub = path_join(dir, "sub"), *missing = path_join(dir, "no/such/file"), *data = NULL;
        struct stat st;

        ok(write_file_atomic(f, "{}\n", 3, 0600) == 0, "create");
        ok(stat(f, &st) == 0 && (st.st_mode & 07777) == 0600, "a new file gets mode_if_new");
        ok(read_full_file(f, 0, &data, NULL) == 0 && streq(data, "{}\n"), "content");
        data = mfree(data);

        ok(chmod(f, 0640) == 0, "chmod 0640");
        if (geteuid() == 0) {
                ok(chown(f, 1234, 1235) == 0, "chown 1234:1235");
                ok(write_file_atomic(f, "{\"a\": 1}\n", 9, 0600) == 0, "replace a file owned by someone else");
                ok(stat(f, &st) == 0 && st.st_uid == 1234 && st.st_gid == 1235, "owner and group kept");
        } else {
                tap_skip_missing("chown 1234:1235", "root");
                ok(write_file_atomic(f, "{\"a\": 1}\n", 9, 0600) == 0, "replace");
                tap_skip_missing("owner and group kept", "root");
        }
        ok(stat(f, &st) == 0 && (st.st_mode & 07777) == 0640, "mode kept, not mode_if_new");
        ok(read_full_file(f, 0, &data, NULL) == 0 && streq(data, "{\"a\": 1}\n"), "new content");
        data = mfree(data);
        ok(chmod(f, 0644) == 0 && write_file_atomic(f, "", 0, 0600) == 0 && stat(f, &st) == 0 && st.st_size == 0 &&
                   (st.st_mode & 07777) == 0644,
           "an empty write");
        ok_int(temp_files_in(dir), 0, "no temporary file left after success");

        ok(symlink("daemon.json", l) == 0, "symlink");
        ok_int(write_file_atomic(l, "x", 1, 0600), -ELOOP, "a symlink is refused");
        ok(lstat(l, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
        ok(read_full_file(f, 0, &data, NULL) == 0 && streq(data, ""), "its target is untouched");
        data = mfree(data);

        ok(mkdir(sub, 0755) == 0, "mkdir");
        ok(write_file_atomic(sub, "x", 1, 0600) < 0, "a directory is refused");
        ok(write_file_atomic(missing, "x", 1, 0600) == -ENOENT, "a missing directory: -ENOENT");

        /* A write that fails half-way (file size limit): the target stays,
         * the temporary file goes. */
        struct rlimit old, small = { .rlim_cur = 1024 };
        char big[8192];
        memset(big, 'x', sizeof(big));
        ok(getrlimit(RLIMIT_FSIZE, &old) == 0, "getrlimit");
        small.rlim_max = old.rlim_max;
        signal(SIGXFSZ, SIG_IGN);
        ok(setrlimit(RLIMIT_FSIZE, &small) == 0, "limit file size");
        int r = write_file_atomic(f, big, sizeof(big), 0600);
        ok(setrlimit(RLIMIT_FSIZE, &old) == 0, "restore the limit");
        ok_int(r, -EFBIG, "a failed write is reported");
        ok(read_full_file(f, 0, &data, NULL) == 0 && streq(data, ""), "the target is untouched after a failure");
        data = mfree(data);
        ok_int(temp_files_in(dir), 0, "no temporary file left after a failure");

        tree_remove(dir);
}

static void test_read_full(void) {
        char *dir = tree_new("test-fileio");
        _cleanup_free_ char *f = path_join(dir, "f"), *e = path_join(dir, "empty"), *data = NULL;
        char buf[100];
        size_t size = 0;

        memset(buf, 'y', sizeof(buf));
        ok(write_file_atomic(f, buf, sizeof(buf), 0644) == 0, "write 100 bytes");
        ok_int(read_full_file(f, 50, &data, &size), -EFBIG, "larger than the limit: -EFBIG");
        ok(data == NULL, "nothing returned on error");
        ok(read_full_file(f, 100, &data, &size) == 0 && size == 100 && strlen(data) == 100, "exactly the limit");
        data = mfree(data);
        ok(read_full_file(f, 0, &data, &size) == 0 && size == 100, "the default limit");
        data = mfree(data);
        ok(write_file_atomic(e, "", 0, 0644) == 0 && read_full_file(e, 0, &data, &size) == 0 && size == 0 &&
                   data && data[0] == '\0',
           "an empty file is an empty string");
        data = mfree(data);
        ok_int(read_full_file(dir, 0, &data, NULL), -EISDIR, "a directory: -EISDIR");
        ok_int(read_full_file("/nonexistent/file", 0, &data, NULL), -ENOENT, "missing: -ENOENT");

        /* More than the first buffer. */
        _cleanup_free_ char *large = malloc(100000);
        memset(large, 'z', 100000);
        ok(write_file_atomic(f, large, 100000, 0644) == 0 && read_full_file(f, 0, &data, &size) == 0 && size == 100000 &&
                   memcmp(data, large, 100000) == 0 && data[100000] == '\0',
           "a file larger than the first buffer");
        data = mfree(data);
        tree_remove(dir);
}

static void test_misc(void) {
        char *dir = tree_new("test-fileio");
        _cleanup_free_ char *deep = path_join(dir, "a/b/c"), *a = path_join(dir, "a/x"), *b = path_join(dir, "a/y"),
                            *c = path_join(dir, "a/copy"), *data = NULL;
        struct stat st;

        ok(mkdir_p(deep, 0755) == 0 && dir_exists(deep), "mkdir_p");
        ok(mkdir_p(deep, 0755) == 0, "mkdir_p of an existing directory");
        ok(write_file_atomic(a, "same", 4, 0600) == 0 && write_file_atomic(b, "same", 4, 0644) == 0, "two files");
        ok_int(files_equal(a, b), 1, "equal files");
        ok(write_file_atomic(b, "diff", 4, 0644) == 0 && files_equal(a, b) == 0, "different files");
        ok_int(files_equal(a, deep), -EISDIR, "a directory is an error");
        ok_int(files_equal("/nonexistent/1", "/nonexistent/2"), 1, "missing equals missing");
        ok_int(files_equal(a, "/nonexistent/2"), 0, "missing differs from present");
        ok(file_exists(a) && !file_exists("/nonexistent/1") && !dir_exists(a), "exists");

        ok(chmod(a, 0640) == 0 && copy_file_atomic(a, c) == 0, "copy");
        ok(stat(c, &st) == 0 && (st.st_mode & 07777) == 0640, "the copy has the mode");
        ok(read_full_file(c, 0, &data, NULL) == 0 && streq(data, "same"), "and the content");
        ok(chmod(c, 0600) == 0 && copy_file_atomic(a, c) == 0 && stat(c, &st) == 0 && (st.st_mode & 07777) == 0640,
           "copying over a file gives it the source's mode");
        tree_remove(dir);
}

static void test_backup(void) {
        char *root = tree_new("test-fileio");
        _cleanup_free_ char *b1 = NULL, *b2 = NULL, *b3 = NULL, *c1 = NULL, *c2 = NULL, *full = NULL;
        struct stat st;
        char stamp[32];
        time_t now;
        struct tm tm;

        ok(tree_write(root, "/etc/docker/daemon.json", "old\n") == 0, "a file to back up");
        full = path_join(root, "/etc/docker/daemon.json");
        ok(chmod(full, 0600) == 0, "chmod 0600");
        now = time(NULL);
        ok(backup_file(root, "/etc/docker/daemon.json", &b1) == 0 && b1, "backup");
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
        ok(b1 && startswith(b1, BACKUP_DIR "/") && endswith(b1, "-etc_docker_daemon.json"),
           "named <dir>/<stamp>-etc_docker_daemon.json: %s", strna(b1));
        ok(b1 && strlen(b1) == strlen(BACKUP_DIR "/") + 15 + strlen("-etc_docker_daemon.json") &&
                   b1[strlen(BACKUP_DIR "/") + 8] == 'T',
           "the stamp is YYYYmmddTHHMMSS");
        ok(b1 && (strstr(b1, stamp) || time(NULL) != now), "the stamp is the current UTC time");
        c1 = b1 ? tree_read(root, b1) : NULL;
        ok_streq(c1, "old\n", "the backup holds the content");
        _cleanup_free_ char *b1full = b1 ? path_join(root, b1) : NULL;
        ok(b1full && stat(b1full, &st) == 0 && (st.st_mode & 07777) == 0600, "and the mode");
        _cleanup_free_ char *bdir = path_join(root, BACKUP_DIR);
        ok(stat(bdir, &st) == 0 && (st.st_mode & 07777) == 0700, "the backup directory is private");

        ok(tree_write(root, "/etc/docker/daemon.json", "new\n") == 0, "change the file");
        ok(backup_file(root, "/etc/docker/daemon.json", &b2) == 0 && b2, "second backup");
        ok(b1 && b2 && !streq(b1, b2), "a second backup gets another name (%s)", strna(b2));
        free(c1);
        c1 = b1 ? tree_read(root, b1) : NULL;
        ok_streq(c1, "old\n", "the first backup is not overwritten");
        c2 = b2 ? tree_read(root, b2) : NULL;
        ok_streq(c2, "new\n", "the second one has the new content");
        ok(backup_file(root, "/etc/docker/daemon.json", &b3) == 0 && b3 && !streq(b3, b2) && !streq(b3, b1),
           "a third one in the same second (%s)", strna(b3));
        if (b1 && b2 && strneq(b1, b2, strlen(BACKUP_DIR "/") + 15))
                ok(strstr(b2, ".1-etc_docker_daemon.json") != NULL, "same second: numbered");
        else
                tap_skip("same second: numbered", "the clock moved on");

        b3 = mfree(b3);
        b3 = (char *) 0x1;
        ok(backup_file(root, "/etc/docker/missing.json", &b3) == 0 && b3 == NULL, "a missing file: no backup, NULL path");
        tree_remove(root);
}

static void on_alarm(int sig) {
        (void) sig;
        printf("not ok - a read blocked (alarm)\n");
        _exit(1);
}

static void test_read_special(void) {
        char *dir = tree_new("test-fileio");
        _cleanup_free_ char *fifo = path_join(dir, "daemon.json"), *f = path_join(dir, "f"),
                            *l = path_join(dir, "l"), *data = NULL;

        ok(mkfifo(fifo, 0600) == 0, "a FIFO where a file should be");
        signal(SIGALRM, on_alarm);
        alarm(10);
        ok_int(read_full_file(fifo, 0, &data, NULL), -EBADFD, "reading a FIFO fails at once (-EBADFD), no hang");
        alarm(0);
        ok_streq(file_type_name(fifo), "FIFO (named pipe)", "and it is named as such");
        ok_streq(file_type_name(dir), "directory", "a directory is named");
        ok(write_file_atomic(f, "x", 1, 0644) == 0 && file_type_name(f) == NULL, "a regular file has no type name");
        ok(file_type_name("/nonexistent/x") == NULL, "a missing file has none");
        ok_int(read_full_file("/dev/null", 0, &data, NULL), -EBADFD, "a character device: -EBADFD");
        /* sysfs gives every attribute a size of 4096: a small limit must
         * still read a short one. */
        if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0 ||
            access("/sys/devices/system/cpu/online", R_OK) == 0) {
                const char *attr = access("/sys/devices/system/cpu/online", R_OK) == 0
                                           ? "/sys/devices/system/cpu/online"
                                           : "/sys/kernel/mm/transparent_hugepage/enabled";
                ok(read_full_file(attr, 256, &data, NULL) == 0, "a sysfs attribute with a 256-byte limit");
                data = mfree(data);
        } else
                ok(1, "a sysfs attribute with a small limit # SKIP no sysfs");
        ok(symlink("f", l) == 0, "symlink");
        ok(read_full_file(l, 0, &data, NULL) == 0 && streq(data, "x"), "read_full_file() follows a link");
        data = mfree(data);
        ok_int(read_full_file_flags(l, 0, READ_NOFOLLOW, &data, NULL), -ELOOP, "READ_NOFOLLOW refuses it");
        ok_int(write_file_atomic(fifo, "x", 1, 0600), -EBADFD, "writing over a FIFO is refused");
        tree_remove(dir);
}

static void test_beneath(void) {
        char *root = tree_new("test-fileio");
        char *elsewhere = tree_new("test-fileio-elsewhere");
        _cleanup_free_ char *lib = path_join(root, "var/lib"), *link = path_join(root, "var/lib/docker-relocate"),
                            *data = NULL, *bak = NULL, *made = path_join(root, "a/b");
        _cleanup_close_ int fd = -1;
        struct stat st;
        mode_t old_umask;
        DIR *d;
        int n = 0;

        old_umask = umask(0077);
        ok(open_dir_beneath(root, "/a/b", 0751, &fd) == 0 && fd >= 0, "open_dir_beneath creates");
        umask(old_umask);
        ok(stat(made, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0751,
           "with exactly the mode asked for, whatever the umask");
        fd = (close(fd), -1);
        ok_int(open_dir_beneath(root, "/a/missing", 0, &fd), -ENOENT, "without a mode nothing is created");
        ok_int(open_dir_beneath(root, "/a/../b", 0755, &fd), -EINVAL, "'..' is refused");

        /* A planted link for the state directory. */
        ok(mkdir_p(lib, 0755) == 0 && symlink(elsewhere, link) == 0, "plant /var/lib/docker-relocate -> elsewhere");
        ok_int(open_dir_beneath(root, "/var/lib/docker-relocate/backups", 0700, &fd), -ELOOP,
               "a symlink on the way: -ELOOP");
        ok_int(write_file_beneath(root, "/var/lib/docker-relocate/state.json", "{}", 2, 0600, 0700), -ELOOP,
               "the journal is not written through it");
        ok_int(backup_dir_check(root), -ELOOP, "backup_dir_check() sees it");
        ok(tree_write(root, "/etc/docker/daemon.json", "{}\n") == 0, "a file to back up");
        ok_int(backup_file(root, "/etc/docker/daemon.json", &bak), -ELOOP, "backups are not written through it");
        d = opendir(elsewhere);
        while (d && readdir(d))
                n++;
        if (d)
                closedir(d);
        ok_int(n, 2, "nothing appeared at the link's target");
        /* Old backups at the link's target are not pruned through it. */
        for (int i = 0; i < 7; i++) {
                _cleanup_free_ char *name = NULL;

                ok(asprintf(&name, "/backups/2026010%dT000000-etc_docker_daemon.json", i + 1) > 0 &&
                           tree_write(elsewhere, name, "{}\n") == 0,
                   "a backup at the link's target");
        }
        ok_int(backup_prune(root, "/etc/docker/daemon.json", 5, NULL), -ELOOP, "backups are not pruned through it");
        ok(tree_exists(elsewhere, "/backups/20260101T000000-etc_docker_daemon.json"), "the oldest is still there");

        ok(unlink(link) == 0 && tree_write(root, "/var/lib/docker-relocate", "a file\n") == 0, "a file instead");
        ok_int(open_dir_beneath(root, "/var/lib/docker-relocate/backups", 0700, &fd), -ENOTDIR, "-ENOTDIR");
        ok(unlink(link) == 0, "remove it");
        ok_int(backup_dir_check(root), 0, "a missing backup directory is fine");
        ok(write_file_beneath(root, "/var/lib/docker-relocate/state.json", "{}", 2, 0600, 0700) == 0,
           "write_file_beneath() creates the directories");
        ok(stat(link, &st) == 0 && (st.st_mode & 07777) == 0700, "with their mode");
        data = tree_read(root, "/var/lib/docker-relocate/state.json");
        ok_streq(data, "{}", "and the file");
        tree_remove(root);
        tree_remove(elsewhere);
}

static void test_torn(void) {
        const char *old = "0123456789", *new = "abcdefghijklmnop", *shortnew = "abc";

        ok(file_is_torn_write("abc3456789", 10, old, 10, new, 16), "a prefix of new over old");
        ok(file_is_torn_write("0123456789", 10, old, 10, new, 16), "nothing written yet (k = 0)");
        ok(file_is_torn_write("abcdefghij", 10, old, 10, new, 16), "new up to old's length");
        ok(file_is_torn_write("abcdefghijkl", 12, old, 10, new, 16), "new past old's end");
        ok(file_is_torn_write("abc3456789", 10, old, 10, shortnew, 3), "shorter new, not truncated yet");
        ok(!file_is_torn_write("abX3456789", 10, old, 10, new, 16), "a byte of neither");
        ok(!file_is_torn_write("abc345678", 9, old, 10, new, 16), "a shorter file that is not a prefix");
        ok(!file_is_torn_write("abcdefghijklmnopq", 17, old, 10, new, 16), "longer than new");
        ok(!file_is_torn_write("0123456789 more", 15, old, 10, new, 16), "old with more added");
}

/* A file bind-mounted over another (as in containers): rename cannot replace
 * it, so it is written in place. Needs a private mount namespace: root. */
static void test_mount_point(void) {
        char *dir;
        _cleanup_free_ char *a = NULL, *b = NULL, *data = NULL;
        struct stat st1, st2;

        if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                for (int i = 0; i < 7; i++)
                        ok(1, "bind-mounted file # SKIP needs root and a private mount namespace");
                return;
        }
        dir = tree_new("test-fileio");
        a = path_join(dir, "fstab");
        b = path_join(dir, "source");
        ok(write_file_atomic(a, "old content\n", 12, 0644) == 0 && write_file_atomic(b, "old content\n", 12, 0640) == 0,
           "two files");
        ok_int(file_is_mount_point(a), 0, "not a mount point yet");
        ok(mount(b, a, NULL, MS_BIND, NULL) == 0, "bind-mount one over the other");
        ok_int(file_is_mount_point(a), 1, "now it is one");
        ok(stat(a, &st1) == 0 && write_file_atomic(a, "new\n", 4, 0600) == 0, "write_file_atomic() succeeds");
        ok(read_full_file(b, 0, &data, NULL) == 0 && streq(data, "new\n"), "in place: the bound file has it");
        ok(stat(a, &st2) == 0 && st1.st_ino == st2.st_ino && (st2.st_mode & 07777) == 0640,
           "same inode, mode kept");
        (void) umount2(a, MNT_DETACH);
        tree_remove(dir);
}

int main(void) {
        test_write_atomic();
        test_read_full();
        test_misc();
        test_backup();
        test_read_special();
        test_beneath();
        test_torn();
        test_mount_point();
        return tap_done();
}
