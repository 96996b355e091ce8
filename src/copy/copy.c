/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pass of the copy by rsync (copy_tree()): its command line, its
 * progress lines and exit status read, and the target claimed and marked
 * for both copiers. What a copy reads is looked at before it in
 * source.c. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "copy/copy-internal.h"
#include "copy/copy.h"
#include "copy/watch.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/test-hook.h"


/* rsync's stderr is kept for the error message; a copy that fails on every
 * file must not fill memory with it, so only the tail is kept. */
#define STDERR_KEEP (64U * 1024U)

char **copy_rsync_argv(const char *src, const char *dst, CopyPass pass) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *s = NULL, *d = NULL;
        static const char *const common[] = {
                "rsync",
                /* Archive, hard links, ACLs, xattrs, holes. */
                "-aHAXS",
                /* Owners by number: the ids inside images have no names on
                 * the host, and must not be mapped through its passwd. */
                "--numeric-ids",
                /* One file list up front, so the percentage is of the whole
                 * tree and not of what was scanned so far. */
                "--no-inc-recursive",
                "--info=progress2",
                /* Plain digits in the progress lines, whatever the locale. */
                "--no-human-readable",
                /* Progress lines end in '\r', which line buffering would hold
                 * back on a pipe. */
                "--outbuf=N",
                /* Our marker is not Docker's data; a filesystem's own
                 * lost+found is neither. Excluded, they are also safe from
                 * --delete. */
                ("--exclude=/" COPY_MARKER),
                "--exclude=/lost+found",
        };

        for (size_t i = 0; i < ELEMENTSOF(common); i++)
                if (strv_extend(&argv, common[i]) < 0)
                        return NULL;
        if (pass == COPY_PASS_LIVE && strv_extend(&argv, "--one-file-system") < 0)
                return NULL;
        if (pass == COPY_PASS_FINAL && strv_extend(&argv, "--delete") < 0)
                return NULL;

        /* "src/" copies the directory's contents and attributes into dst;
         * "src" would create dst/basename(src). "--" so that no path is
         * read as an option. */
        s = path_normalize(src);
        d = path_normalize(dst);
        if (!s || !d)
                return NULL;
        if (strv_extend(&argv, "--") < 0)
                return NULL;
        if (strv_consume(&argv, streq(s, "/") ? strdup("/") : path_join(s, "/")) < 0)
                return NULL;
        if (strv_consume(&argv, TAKE_PTR(d)) < 0)
                return NULL;
        return TAKE_PTR(argv);
}

static int parse_number(const char *s, uint64_t *ret, const char **ret_end) {
        uint64_t v = 0;
        bool any = false;

        for (; *s; s++) {
                if (isdigit((unsigned char) *s)) {
                        if (v > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        v = v * 10 + (uint64_t) (*s - '0');
                        any = true;
                } else if (any && strchr(",.'", *s) && isdigit((unsigned char) s[1]))
                        continue; /* thousands separators */
                else
                        break;
        }
        if (!any)
                return -EINVAL;
        *ret = v;
        *ret_end = s;
        return 0;
}

int copy_parse_progress_line(const char *line, CopyProgress *ret) {
        static const struct {
                const char *suffix;
                double factor;
        } units[] = {
                /* rsync counts rates in units of 1024. */
                { "B/s", 1.0 },
                { "kB/s", 1024.0 },
                { "KB/s", 1024.0 },
                { "MB/s", 1024.0 * 1024.0 },
                { "GB/s", 1024.0 * 1024.0 * 1024.0 },
                { "TB/s", 1024.0 * 1024.0 * 1024.0 * 1024.0 },
        };
        CopyProgress p = {};
        const char *s = line, *e;
        uint64_t v;
        unsigned h, m, sec;
        const char *end;
        int n, r;
        bool unit_ok = false;

        while (*s == ' ' || *s == '\t')
                s++;
        r = parse_number(s, &p.bytes, &e);
        if (r < 0 || *e != ' ')
                return -EINVAL;

        s = e;
        while (*s == ' ')
                s++;
        r = parse_number(s, &v, &e);
        if (r < 0 || *e != '%' || v > 100)
                return -EINVAL;
        p.percent = (unsigned) v;

        s = e + 1;
        while (*s == ' ')
                s++;
        /* "12.34", or "12,34" where rsync formats in the locale: not
         * strtod(), which would follow our own locale instead. */
        end = s;
        p.rate = 0;
        if (!isdigit((unsigned char) *end))
                return -EINVAL;
        for (; isdigit((unsigned char) *end); end++)
                p.rate = p.rate * 10 + (*end - '0');
        if ((*end == '.' || *end == ',') && isdigit((unsigned char) end[1])) {
                double scale = 0.1;
                for (end++; isdigit((unsigned char) *end); end++, scale /= 10)
                        p.rate += (*end - '0') * scale;
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                size_t l = strlen(units[i].suffix);
                if (strneq(end, units[i].suffix, l) && (end[l] == ' ' || end[l] == '\0')) {
                        p.rate *= units[i].factor;
                        end += l;
                        unit_ok = true;
                        break;
                }
        }
        if (!unit_ok)
                return -EINVAL;

        s = end;
        while (*s == ' ')
                s++;
        if (sscanf(s, "%u:%u:%u%n", &h, &m, &sec, &n) != 3 || m > 59 || sec > 59)
                return -EINVAL;
        p.eta_sec = h * 3600U + m * 60U + sec;
        s += n;
        /* What may follow: " (xfr#3, to-chk=10/20)" or ir-chk. */
        while (*s == ' ')
                s++;
        if (*s != '\0' && *s != '(')
                return -EINVAL;

        *ret = p;
        return 0;
}

int copy_map_rsync_exit(int status, CopyPass pass, const char *stderr_text, const char **ret_message) {
        const char *msg;
        int r;

        if (status == 0) {
                msg = "complete";
                r = 0;
        } else if (copy_reports_errno(stderr_text, ENOSPC, "No space left on device")) {
                /* rsync reports a full target as 11 (file I/O) or 12 (its
                 * stream broke when the receiver died) or 23; the cause is
                 * what matters. */
                msg = "target filesystem full";
                r = -ENOSPC;
        } else if (copy_reports_errno(stderr_text, EDQUOT, "Disk quota exceeded")) {
                msg = "disk quota exceeded on the target filesystem";
                r = -EDQUOT;
        } else if (status == 4 ||
                   ((status == 23 || status == 11) && copy_reports_errno(stderr_text, EOPNOTSUPP, "Operation not supported"))) {
                msg = "the target filesystem cannot hold all attributes of the source (xattrs or ACLs)";
                r = -EOPNOTSUPP;
        } else if (status == 24) {
                if (pass == COPY_PASS_LIVE) {
                        /* Docker deletes files while it runs; the final pass
                         * with Docker stopped catches up. */
                        msg = "some source files vanished during the live copy (expected while Docker runs)";
                        r = 0;
                } else {
                        msg = "source files vanished during the final copy: something still writes to the data root";
                        r = -EAGAIN;
                }
        } else {
                switch (status) {
                case 1:
                        msg = "rsync reported a syntax or usage error";
                        r = -EINVAL;
                        break;
                case 3:
                        msg = "rsync could not select the source or target files";
                        r = -EIO;
                        break;
                case 11:
                        msg = "file I/O error";
                        r = -EIO;
                        break;
                case 20:
                        msg = "rsync was interrupted";
                        r = -ECANCELED;
                        break;
                case 22:
                        msg = "rsync ran out of memory";
                        r = -ENOMEM;
                        break;
                case 23:
                        msg = "partial transfer: some files or attributes were not copied";
                        r = -EIO;
                        break;
                case 30:
                case 35:
                        msg = "rsync timed out";
                        r = -ETIMEDOUT;
                        break;
                case 127:
                        msg = "rsync could not be executed";
                        r = -ENOENT;
                        break;
                default:
                        if (status > 128) {
                                msg = "rsync was killed by a signal";
                                r = -ECANCELED;
                        } else {
                                msg = "rsync failed";
                                r = -EPROTO;
                        }
                }
        }
        if (ret_message)
                *ret_message = msg;
        return r;
}

/* The last few non-empty lines of rsync's stderr, joined by "; ". */
static char *last_lines(const char *text, unsigned max) {
        _cleanup_strv_free_ char **lines = NULL;
        _cleanup_free_ char *copy = strdup(strempty(text));
        char *saveptr = NULL;
        size_t n;

        if (!copy)
                return NULL;
        for (char *l = strtok_r(copy, "\r\n", &saveptr); l; l = strtok_r(NULL, "\r\n", &saveptr))
                if (!isempty(l) && strv_extend(&lines, l) < 0)
                        return NULL;
        n = strv_length(lines);
        return strv_join(lines + (n > max ? n - max : 0), "; ");
}

typedef struct Reader {
        char buf[4096];
        size_t len;
        CopyProgress last;
} Reader;

/* Feeds rsync's stdout to the callback, one '\r'- or '\n'-ended line at a
 * time. */
static void feed_progress(Reader *rd, const char *data, size_t n, CopyProgressFn progress, void *userdata) {
        for (size_t i = 0; i < n; i++) {
                char c = data[i];
                if (c == '\r' || c == '\n') {
                        CopyProgress p;
                        rd->buf[rd->len] = '\0';
                        if (rd->len > 0 && copy_parse_progress_line(rd->buf, &p) >= 0) {
                                rd->last = p;
                                if (progress)
                                        progress(&p, userdata);
                        }
                        rd->len = 0;
                } else if (rd->len < sizeof(rd->buf) - 1)
                        rd->buf[rd->len++] = c;
        }
}

static int append_tail(char **buf, size_t *len, const char *data, size_t n) {
        char *b;

        if (*len + n > STDERR_KEEP && *len > 0) {
                size_t drop = *len + n - STDERR_KEEP;
                if (drop > *len)
                        drop = *len;
                memmove(*buf, *buf + drop, *len - drop);
                *len -= drop;
        }
        b = realloc(*buf, *len + n + 1);
        if (!b)
                return -ENOMEM;
        memcpy(b + *len, data, n);
        *len += n;
        b[*len] = '\0';
        *buf = b;
        return 0;
}

static bool dir_is_empty_but_lost_found(DIR *d) {
        struct dirent *de;

        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && !streq(de->d_name, "lost+found"))
                        return false;
        return true;
}

int copy_claim_target(const char *src, const char *dst, char **ret_message) {
        _cleanup_free_ char *s = path_normalize(src), *marker = path_join(dst, COPY_MARKER), *content = NULL,
                            *data = NULL;
        DIR *d;
        int r;

        if (!s || !marker)
                return -ENOMEM;
        if (asprintf(&content, "%s\n", s) < 0)
                return -ENOMEM;

        r = read_full_file(marker, 64 * 1024, &data, NULL);
        if (r >= 0) {
                if (streq(data, content))
                        return 0; /* an earlier pass of the same copy */
                if (ret_message && asprintf(ret_message, "%s holds a copy of another source (%.*s), not of %s", dst,
                                            (int) strcspn(data, "\n"), data, s) < 0)
                        *ret_message = NULL;
                return -ENOTEMPTY;
        }
        if (r != -ENOENT)
                return r;

        if (mkdir(dst, 0700) < 0) {
                if (errno != EEXIST)
                        return negative_errno();
                d = opendir(dst);
                if (!d)
                        return negative_errno();
                bool empty = dir_is_empty_but_lost_found(d);
                closedir(d);
                if (!empty) {
                        if (ret_message &&
                            asprintf(ret_message,
                                     "%s is not empty and holds no copy of %s: refusing to copy into it, as the "
                                     "final pass would delete its files",
                                     dst, s) < 0)
                                *ret_message = NULL;
                        return -ENOTEMPTY;
                }
        }
        return write_file_atomic(marker, content, strlen(content), 0600);
}

int copy_unmark(const char *dst) {
        _cleanup_free_ char *marker = path_join(dst, COPY_MARKER);
        struct stat st;

        if (!marker)
                return -ENOMEM;
        if (stat(dst, &st) < 0)
                return negative_errno();
        if (unlink(marker) < 0) {
                if (errno == ENOENT)
                        return 0;
                return negative_errno();
        }
        /* The unlink touched the directory; rsync had given it the
         * source's times, and the copy should keep them. */
        if (utimensat(AT_FDCWD, dst, (const struct timespec[2]){ st.st_atim, st.st_mtim }, 0) < 0)
                return negative_errno();
        return 0;
}

int copy_tree(const char *src, const char *dst, CopyPass pass, CopyProgressFn progress, void *userdata,
              char **ret_message) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *errbuf = NULL;
        _cleanup_close_ int ofd = -1, efd = -1;
        _cleanup_(copy_watch_done) CopyWatch watch = {};
        unsigned long long next_check = 0;
        size_t errlen = 0;
        Reader rd = {};
        const char *msg, *cause = NULL;
        pid_t pid;
        int r, status, abort_r = 0;

        if (ret_message)
                *ret_message = NULL;
        test_hook_crash("copy-%s-begin", pass == COPY_PASS_LIVE ? "live" : "final");
        if (!find_executable("rsync", NULL)) {
                if (ret_message)
                        *ret_message = strdup("rsync is not installed");
                return -ENOENT;
        }
        argv = copy_rsync_argv(src, dst, pass);
        if (!argv)
                return -ENOMEM;

        r = copy_claim_target(src, dst, ret_message);
        if (r < 0) {
                if (ret_message && !*ret_message && asprintf(ret_message, "Cannot use %s as the target: %s", dst,
                                                             strerror(-r)) < 0)
                        *ret_message = NULL;
                return r;
        }

        r = spawn_command(argv, &ofd, &efd, &pid);
        if (r < 0)
                return r;
        r = copy_watch_init(&watch, dst, pid);
        if (r < 0) {
                (void) copy_kill(pid, &status);
                return r;
        }

        while (ofd >= 0 || efd >= 0) {
                struct pollfd p[2];
                unsigned long long now = now_ms();
                int n = 0;

                /* Once a second: is the target still there, and writable? */
                if (now >= next_check) {
                        abort_r = copy_watch_check(&watch, rd.last.bytes, errbuf, &cause);
                        if (abort_r < 0)
                                break;
                        next_check = now + 1000;
                }
                if (ofd >= 0)
                        p[n++] = (struct pollfd){ .fd = ofd, .events = POLLIN };
                if (efd >= 0)
                        p[n++] = (struct pollfd){ .fd = efd, .events = POLLIN };
                if (poll(p, n, 1000) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (int i = 0; i < n; i++) {
                        char data[4096];
                        ssize_t k;

                        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        k = read(p[i].fd, data, sizeof(data));
                        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (k <= 0) {
                                if (p[i].fd == ofd)
                                        closep(&ofd), ofd = -1;
                                else
                                        closep(&efd), efd = -1;
                                continue;
                        }
                        if (p[i].fd == ofd)
                                feed_progress(&rd, data, (size_t) k, progress, userdata);
                        else
                                (void) append_tail(&errbuf, &errlen, data, (size_t) k);
                }
        }
        if (abort_r < 0) {
                /* The target cannot be written: end the copy now, rather
                 * than let rsync fail on every file left, so that the move
                 * can roll back. */
                r = copy_kill(pid, &status);
                if (ret_message && abort_r == -EINTR) {
                        if (asprintf(ret_message, "interrupted by %s; rsync was stopped", cause) < 0)
                                *ret_message = NULL;
                } else if (ret_message) {
                        _cleanup_free_ char *tail = last_lines(errbuf, 3);
                        if (asprintf(ret_message, "cannot write %s: %s; rsync was stopped%s%s%s", dst, cause,
                                     isempty(tail) ? "" : " (", strempty(tail), isempty(tail) ? "" : ")") < 0)
                                *ret_message = NULL;
                }
                return r == -EBUSY || r >= 0 ? abort_r : r;
        }
        /* The pipes closed, so rsync is exiting; the wait is short. Still
         * bounded, and it only ever ends our own child. */
        r = wait_command(pid, 60 * 1000, &status);
        if (r < 0)
                return r;
        r = test_hook_fail(pass == COPY_PASS_LIVE ? "copy-live" : "copy-final");
        if (r < 0) {
                /* As rsync reports a failed write: its own words, read by
                 * the same code as a real failure's. */
                free(errbuf);
                errlen = 0;
                errbuf = NULL;
                if (asprintf(&errbuf, "rsync: [receiver] write failed on \"%s\": %s (%d)\nrsync error: error in file IO (code 11)\n",
                             dst, strerror(-r), -r) < 0)
                        return -ENOMEM;
                errlen = strlen(errbuf);
                status = 11;
        }
        if (rd.len > 0)
                feed_progress(&rd, "\n", 1, progress, userdata);

        r = copy_map_rsync_exit(status, pass, errbuf, &msg);
        if (r >= 0) {
                /* The target's top directory is also where the marker
                 * lives, and rsync does not always leave it with the
                 * source's times when it deleted one of its entries (seen
                 * now and then under load): it gets them last. */
                struct stat st;
                if (stat(src, &st) >= 0)
                        (void) utimensat(AT_FDCWD, dst, (const struct timespec[2]){ st.st_atim, st.st_mtim }, 0);
        }
        if (r >= 0 && progress && rd.last.percent < 100) {
                /* rsync ends below 100% when hard links or unchanged files
                 * were not transferred; the caller's bar should end full. */
                CopyProgress done = rd.last;
                done.percent = 100;
                done.eta_sec = 0;
                progress(&done, userdata);
        }
        if (ret_message) {
                _cleanup_free_ char *tail = status != 0 ? last_lines(errbuf, 3) : NULL;
                char *m = NULL;
                if (isempty(tail)) {
                        m = strdup(msg);
                } else if (asprintf(&m, "%s (rsync exit %d: %s)", msg, status, tail) < 0)
                        m = NULL;
                *ret_message = m;
        }
        return r;
}
