/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/tracker.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* What is recorded: every change to a directory's entries (create, delete,
 * either side of a rename, subdirectories included), every write (a write
 * through mmap shows only when the file is closed) and every change of
 * attributes (mode, owner, xattrs, times, of directories too). */
#define EVENTS                                                                                                        \
        (FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB |        \
                FAN_ONDIR)

/* An entry changed at most this long before recording began may still carry
 * a ctime from before it: the kernel stamps times from a coarse clock. */
#define SINCE_MARGIN_NS (2LL * 1000 * 1000 * 1000)
/* How far the wall clock may drift from the boot clock before its ctimes
 * are no longer comparable with since_ns. */
#define CLOCK_STEP_NS (500LL * 1000 * 1000)

#ifndef FILEID_INVALID
#define FILEID_INVALID 0xff /* linux/exportfs.h, not a uapi header */
#endif

/* One directory's handle as the kernel reports it: the filesystem id, the
 * handle type and its bytes; for a directory made or moved in, its parent's
 * handle followed by its name and a NUL. */
typedef struct Key {
        uint32_t len;
        unsigned char data[];
} Key;

/* Keys, each once. */
typedef struct KeySet {
        Key **slots;
        size_t size, used;
} KeySet;

struct CopyTracker {
        int fan_fd;
        int root_fd;
        int stop_fd;
        char *root_path;
        char **mounts; /* mount points below root at the start, relative */
        int64_t since_ns;
        int64_t clock_offset; /* CLOCK_REALTIME - CLOCK_BOOTTIME at the start */

        pthread_t thread;
        bool threaded;
        pthread_mutex_t lock;
        KeySet dirs;  /* where something changed */
        KeySet placed; /* directories created or moved onto a name */
        /* Why the record is incomplete (static text), NULL while it is not. */
        const char *incomplete;
};

static int64_t clock_ns(clockid_t c) {
        struct timespec t;
        clock_gettime(c, &t);
        return (int64_t) t.tv_sec * 1000000000LL + t.tv_nsec;
}

static uint64_t hash_key(const unsigned char *d, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ d[i]) * 0x100000001b3ULL;
        return h;
}

static int set_grow(KeySet *t) {
        size_t n = t->size ? t->size * 2 : 1024;
        Key **s = calloc(n, sizeof(Key *));

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < t->size; i++) {
                Key *k = t->slots[i];
                if (!k)
                        continue;
                for (size_t j = hash_key(k->data, k->len) & (n - 1);; j = (j + 1) & (n - 1))
                        if (!s[j]) {
                                s[j] = k;
                                break;
                        }
        }
        free(t->slots);
        t->slots = s;
        t->size = n;
        return 0;
}

static void set_free(KeySet *t) {
        for (size_t i = 0; i < t->size; i++)
                free(t->slots[i]);
        free(t->slots);
}

/* Records one key in set (with the lock held). */
static void record(CopyTracker *t, KeySet *set, const unsigned char *d, size_t n) {
        size_t i;
        Key *k;

        if (t->incomplete)
                return;
        if ((set->used + 1) * 2 > set->size && set_grow(set) < 0) {
                t->incomplete = "out of memory for the record of changes";
                return;
        }
        for (i = hash_key(d, n) & (set->size - 1); set->slots[i]; i = (i + 1) & (set->size - 1))
                if (set->slots[i]->len == n && memcmp(set->slots[i]->data, d, n) == 0)
                        return; /* known already */
        if (set->used >= COPY_TRACKER_MAX_DIRS) {
                t->incomplete = "too many directories changed to list them";
                return;
        }
        k = malloc(sizeof(Key) + n);
        if (!k) {
                t->incomplete = "out of memory for the record of changes";
                return;
        }
        k->len = (uint32_t) n;
        memcpy(k->data, d, n);
        set->slots[i] = k;
        set->used++;
}

/* The name after the handle in an info record of len bytes at p: a
 * directory's own name, NULL when there is none that names one. */
static const char *info_name(const char *p, size_t len, size_t handle_bytes) {
        size_t off = offsetof(struct fanotify_event_info_fid, handle) + sizeof(struct file_handle) + handle_bytes;
        const char *name = p + off, *nul;

        if (off >= len)
                return NULL;
        nul = memchr(name, '\0', len - off);
        if (!nul || nul == name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return NULL;
        return name;
}

/* Takes the events in buf into the record. The kernel pads an event with a
 * name to 4 bytes only, while struct fanotify_event_metadata wants 8: each
 * header is copied out before it is read, never read in place. */
static void take_events(CopyTracker *t, const char *buf, size_t len) {
        size_t off = 0;

        pthread_mutex_lock(&t->lock);
        while (len - off >= sizeof(struct fanotify_event_metadata)) {
                struct fanotify_event_metadata m;

                memcpy(&m, buf + off, sizeof(m));
                if (m.event_len < sizeof(m) || m.event_len > len - off || m.metadata_len < sizeof(m) ||
                    m.metadata_len > m.event_len)
                        break;
                if (m.vers != FANOTIFY_METADATA_VERSION) {
                        t->incomplete = "the kernel reports events in an unknown format";
                        break;
                }
                if (m.mask & FAN_Q_OVERFLOW) {
                        t->incomplete = "the kernel's queue of events overflowed";
                        break;
                }
                const char *end = buf + off + m.event_len;
                /* A directory made or moved onto a name: the target may hold
                 * another one at that path, which its times cannot tell. */
                bool made = (m.mask & FAN_ONDIR) && (m.mask & (FAN_CREATE | FAN_MOVED_TO));
                bool dir_known = false, made_known = false;
                for (const char *p = buf + off + m.metadata_len;
                     (size_t) (end - p) >= sizeof(struct fanotify_event_info_header);) {
                        struct fanotify_event_info_header hdr;
                        struct file_handle h;

                        memcpy(&hdr, p, sizeof(hdr));
                        if (hdr.len == 0 || hdr.len > (size_t) (end - p))
                                break;
                        if ((hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
                             hdr.info_type == FAN_EVENT_INFO_TYPE_DFID) &&
                            hdr.len >= sizeof(struct fanotify_event_info_fid) + sizeof(h)) {
                                /* fsid, then the handle's type, length and
                                 * bytes: the name that may follow is left
                                 * out, the directory is what is resynced. */
                                const char *fsid = p + offsetof(struct fanotify_event_info_fid, fsid);
                                size_t n;

                                memcpy(&h, p + offsetof(struct fanotify_event_info_fid, handle), sizeof(h));
                                n = sizeof(__kernel_fsid_t) + sizeof(h) + h.handle_bytes;
                                if (h.handle_bytes > 0 && h.handle_type != FILEID_INVALID &&
                                    offsetof(struct fanotify_event_info_fid, fsid) + n <= hdr.len) {
                                        record(t, &t->dirs, (const unsigned char *) fsid, n);
                                        dir_known = true;
                                        const char *name = made && hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME
                                                                   ? info_name(p, hdr.len, h.handle_bytes)
                                                                   : NULL;
                                        if (name) {
                                                /* The key's bytes run on into the name. */
                                                record(t, &t->placed, (const unsigned char *) fsid,
                                                        n + strlen(name) + 1);
                                                made_known = true;
                                        }
                                }
                        }
                        p += hdr.len;
                }
                /* The kernel queues an event without its directory's
                 * handle when it cannot encode one: what changed is then
                 * unknown, and only the whole tree can be trusted. */
                if (!dir_known) {
                        t->incomplete = "the kernel reported a change without the directory it happened in";
                        break;
                }
                if (made && !made_known) {
                        t->incomplete = "the kernel reported a directory made or moved in without its name";
                        break;
                }
                off += m.event_len;
        }
        pthread_mutex_unlock(&t->lock);
}

static int drain(CopyTracker *t) {
        /* Aligned for the event structures. */
        union {
                struct fanotify_event_metadata m;
                char b[65536];
        } buf;

        for (;;) {
                ssize_t n = read(t->fan_fd, buf.b, sizeof(buf.b));
                if (n < 0) {
                        if (errno == EAGAIN)
                                return 0;
                        if (errno == EINTR)
                                continue;
                        int e = negative_errno();
                        pthread_mutex_lock(&t->lock);
                        t->incomplete = "reading the queue of events failed";
                        pthread_mutex_unlock(&t->lock);
                        return e;
                }
                if (n == 0)
                        return 0;
                take_events(t, buf.b, (size_t) n);
        }
}

int copy_tracker_drain(CopyTracker *t) {
        return drain(t);
}

static void *tracker_main(void *p) {
        CopyTracker *t = p;

        for (;;) {
                struct pollfd fds[2] = { { .fd = t->fan_fd, .events = POLLIN },
                        { .fd = t->stop_fd, .events = POLLIN } };
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        pthread_mutex_lock(&t->lock);
                        t->incomplete = "waiting for events failed";
                        pthread_mutex_unlock(&t->lock);
                        return NULL;
                }
                if (fds[1].revents)
                        return NULL; /* finish() drains what is left */
                if (drain(t) < 0)
                        return NULL;
        }
}

CopyTracker *copy_tracker_free(CopyTracker *t) {
        if (!t)
                return NULL;
        if (t->threaded) {
                uint64_t one = 1;
                if (write(t->stop_fd, &one, sizeof(one)) == sizeof(one))
                        pthread_join(t->thread, NULL);
                else
                        pthread_detach(t->thread);
        }
        set_free(&t->dirs);
        set_free(&t->placed);
        closep(&t->fan_fd);
        closep(&t->root_fd);
        closep(&t->stop_fd);
        free(t->root_path);
        strv_free(t->mounts);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
}

/* The path of an open directory, as the kernel names it. */
static int fd_path(int fd, char **ret) {
        char proc[64], buf[PATH_MAX];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int copy_tracker_start(const char *root, CopyTrackerFlags flags, CopyTracker **ret) {
        _cleanup_(copy_tracker_freep) CopyTracker *t = NULL;
        _cleanup_strv_free_ char **mounts = NULL;
        int r;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->fan_fd = t->root_fd = t->stop_fd = -1;
        pthread_mutex_init(&t->lock, NULL);

        t->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->root_fd < 0)
                return negative_errno();
        r = fd_path(t->root_fd, &t->root_path);
        if (r < 0)
                return r;

        /* Before the mark: what happens after it is recorded, and what
         * happened before it has a ctime before this. */
        t->since_ns = clock_ns(CLOCK_REALTIME) - SINCE_MARGIN_NS;
        t->clock_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);

        t->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
                O_RDONLY | O_CLOEXEC | O_LARGEFILE);
        if (t->fan_fd < 0)
                return negative_errno();
        if (fanotify_mark(t->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, EVENTS, t->root_fd, NULL) < 0)
                return negative_errno();

        r = copy_mounts_below(NULL, t->root_path, &mounts);
        if (r < 0)
                return r;
        STRV_FOREACH (m, mounts) {
                const char *rel = path_startswith_dir(*m, t->root_path) ? *m + strlen(t->root_path) : NULL;
                while (rel && *rel == '/')
                        rel++;
                if (!isempty(rel) && (r = strv_extend(&t->mounts, rel)) < 0)
                        return r;
        }

        if (!(flags & COPY_TRACKER_NO_THREAD)) {
                t->stop_fd = eventfd(0, EFD_CLOEXEC);
                if (t->stop_fd < 0)
                        return negative_errno();
                r = pthread_create(&t->thread, NULL, tracker_main, t);
                if (r != 0)
                        return -r;
                t->threaded = true;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Names the directory of a handle (len bytes of fsid and handle) relative
 * to the root: *ret stays NULL when it is gone or lies elsewhere. */
static int resolve(int root_fd, const char *root_path, const unsigned char *data, size_t len, char **ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *path = NULL;
        struct file_handle *h;
        struct stat st;
        const char *rel;
        int r;

        *ret = NULL;
        /* The handle follows the fsid; copied for alignment. */
        h = malloc(len);
        if (!h)
                return -ENOMEM;
        memcpy(h, data + sizeof(__kernel_fsid_t), len - sizeof(__kernel_fsid_t));
        fd = open_by_handle_at(root_fd, h, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        free(h);
        if (fd < 0) {
                if (errno == ESTALE || errno == ENOENT)
                        return 0; /* deleted since: its parent is listed */
                return negative_errno();
        }
        /* Deleted since, but still in memory: its parent is listed.
         * The kernel says so by the link count; the " (deleted)" the
         * path then ends in is also a name any directory can have. */
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_nlink == 0)
                return 0;
        r = fd_path(fd, &path);
        if (r < 0)
                return r;
        if (streq(path, root_path))
                rel = ".";
        else if (path_startswith_dir(path, root_path))
                rel = path + strlen(root_path) + (streq(root_path, "/") ? 0 : 1);
        else
                return 0; /* elsewhere on the same filesystem */
        *ret = strdup(rel);
        return *ret ? 0 : -ENOMEM;
}

/* The directories made or moved onto a name, named as they are now: those
 * gone since (deleted, or moved on, which the record holds as another
 * one), and those below another (made inside one that is new itself),
 * left out. Returns 1, with nothing, when one of them cannot be named. */
static int resolve_placed(CopyTracker *t, int root_fd, const char *root_path, char ***ret) {
        _cleanup_strv_free_ char **placed = NULL;
        _cleanup_free_ bool *keep = NULL;
        size_t n = 0, u = 0;
        int r;

        placed = calloc(t->placed.used + 1, sizeof(char *));
        if (!placed)
                return -ENOMEM;
        for (size_t i = 0; i < t->placed.size; i++) {
                const Key *k = t->placed.slots[i];
                _cleanup_free_ char *parent = NULL, *path = NULL;
                struct file_handle h;
                struct stat st;
                size_t hlen;

                if (!k)
                        continue;
                memcpy(&h, k->data + sizeof(__kernel_fsid_t), sizeof(h));
                hlen = sizeof(__kernel_fsid_t) + sizeof(h) + h.handle_bytes;
                r = resolve(root_fd, root_path, k->data, hlen, &parent);
                if (r < 0)
                        return r;
                if (!parent)
                        continue; /* its parent is gone, and it with it */
                path = streq(parent, ".") ? strdup((const char *) k->data + hlen)
                                          : path_join(parent, (const char *) k->data + hlen);
                if (!path)
                        return -ENOMEM;
                if (fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return 1;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;
                placed[n++] = TAKE_PTR(path);
        }
        n = strv_sort_uniq(placed);
        /* None below another. */
        keep = calloc(n + 1, sizeof(bool));
        if (!keep)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *up = strdup(placed[i]);
                char *slash;

                if (!up)
                        return -ENOMEM;
                keep[i] = true;
                while (keep[i] && (slash = strrchr(up, '/'))) {
                        *slash = '\0';
                        keep[i] = !bsearch(&up, placed, n, sizeof(char *), cmp_str);
                }
        }
        for (size_t i = 0; i < n; i++) {
                char *p = TAKE_PTR(placed[i]);

                if (keep[i])
                        placed[u++] = p;
                else
                        free(p);
        }
        *ret = TAKE_PTR(placed);
        return 0;
}

int copy_tracker_finish(CopyTracker *t, CopyChanges **ret) {
        _cleanup_(copy_changes_freep) CopyChanges *c = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *root_path = NULL;
        _cleanup_close_ int root_fd = -1;
        struct stat a, b;
        size_t n = 0;
        int r;

        if (t->threaded) {
                uint64_t one = 1;
                if (write(t->stop_fd, &one, sizeof(one)) != sizeof(one))
                        return negative_errno();
                pthread_join(t->thread, NULL);
                t->threaded = false;
        }
        /* Whatever happened up to now is queued: take it. */
        (void) drain(t);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->since_ns = t->since_ns;
        if (clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME) < t->clock_offset - CLOCK_STEP_NS)
                c->since_ns = 0; /* the wall clock went back */

        /* Handles are named through a mount that is attached now: the one
         * the root was opened on at the start may be gone (dockerd
         * bind-mounts its data root onto itself, and unmounts it when it
         * stops; a detached mount names paths from its own root). */
        root_fd = open(t->root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd >= 0 && fstat(root_fd, &a) >= 0 && fstat(t->root_fd, &b) >= 0 &&
                (a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
                pthread_mutex_lock(&t->lock);
                t->incomplete = "the source directory was replaced while the record was kept";
                pthread_mutex_unlock(&t->lock);
        }
        if (root_fd < 0 && !t->incomplete)
                return negative_errno();

        if (t->incomplete) {
                c->complete = false;
                c->reason = strdup(t->incomplete);
                if (!c->reason)
                        return -ENOMEM;
                *ret = TAKE_PTR(c);
                return 0;
        }
        r = fd_path(root_fd, &root_path);
        if (r < 0)
                return r;

        r = resolve_placed(t, root_fd, root_path, &c->placed);
        if (r < 0)
                return r;
        if (r > 0) {
                c->complete = false;
                c->reason = strdup("a directory made or moved in could not be named");
                if (!c->reason)
                        return -ENOMEM;
                *ret = TAKE_PTR(c);
                return 0;
        }

        dirs = calloc(t->dirs.used + strv_length(t->mounts) + 1, sizeof(char *));
        if (!dirs)
                return -ENOMEM;
        for (size_t i = 0; i < t->dirs.size; i++) {
                const Key *k = t->dirs.slots[i];

                if (!k)
                        continue;
                r = resolve(root_fd, root_path, k->data, k->len, &dirs[n]);
                if (r < 0)
                        return r;
                if (dirs[n])
                        n++;
        }
        STRV_FOREACH (m, t->mounts) {
                dirs[n] = strdup(*m);
                if (!dirs[n])
                        return -ENOMEM;
                n++;
        }
        /* Each once (a mount point may have changed too). */
        (void) strv_sort_uniq(dirs);
        c->dirs = TAKE_PTR(dirs);
        c->complete = true;
        *ret = TAKE_PTR(c);
        return 0;
}
