/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The copy engine's insides, shared by its files and nobody else: the run
 * (engine.c), its workers, jobs and directories (engine-walk.c), attributes
 * and xattrs (engine-attrs.c), file data (engine-data.c), one entry at a
 * time (engine-entry.c), the final pass from a record of changes
 * (engine-changes.c). */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "copy/engine.h"
#include "copy/inode-map.h"
#include "util/macro.h"

/* Non-directories of one directory are handed out in batches of this many,
 * so that a directory of a hundred thousand files keeps every worker busy. */
#define BATCH_ENTRIES 256U
/* Files at least this big get a job of their own, so that a few large files
 * do not hold up the walk behind them. */
#define BIG_FILE (8ULL * 1024 * 1024)
#define COPY_CHUNK (8U * 1024 * 1024)
/* Per worker: the buffer of read/write copies (files up to this size take
 * one read and one write). */
#define RW_BUFFER (128U * 1024)
#define PROGRESS_INTERVAL_NS (250LL * 1000 * 1000)
/* Per-file work is weighed like this many bytes in the percentage, so that a
 * tree of small files does not sit at 0 % while its entries are copied. */
#define ENTRY_WEIGHT 4096ULL
#define TMP_PREFIX ".docker-relocate-tmp."

typedef struct Attrs {
        uint32_t mode;
        uint32_t uid, gid;
        uint32_t nlink;
        uint64_t ino;
        dev_t dev, rdev;
        uint64_t size, blocks;
        struct timespec atime, mtime;
        int64_t ctime_ns;
} Attrs;

typedef struct DirNode {
        struct DirNode *parent;
        atomic_uint pending; /* its listing (until its last batch ends), subdirectories not finished */
        char *rel;           /* relative to both roots; "." for the roots */
        Attrs attrs;
        bool fresh;   /* the target directory was made by this run: empty */
        bool shallow; /* changes pass: existing subdirectories are not entered */
        bool root;    /* the target's root, which this run did not make */
} DirNode;

typedef struct Entry {
        uint64_t ino;
        uint32_t name_off;
        unsigned char type; /* d_type */
        bool in_dst;        /* the target has an entry of this name */
} Entry;

/* One directory's entries, shared by the jobs that copy them. */
typedef struct Listing {
        DirNode *dir;
        int src_fd, dst_fd;
        char *names;
        Entry *entries;
        size_t n;
        atomic_uint users;
        /* The target was not read: the directory is unchanged since
         * since_ns, its entries are taken to exist in the target. */
        bool dst_unread;
        /* The target directory has a default ACL: new entries inherit
         * one, which must go unless the source has it too. */
        bool dst_default_acl;
} Listing;

typedef enum JobType {
        JOB_DIR,
        JOB_ENTRIES,
} JobType;

typedef struct Job {
        struct Job *next;
        JobType type;
        DirNode *dir;
        Listing *listing;
        size_t first, count;
} Job;

typedef enum Method {
        METHOD_REFLINK,
        METHOD_COPY_FILE_RANGE,
        METHOD_SENDFILE,
        METHOD_READ_WRITE,
} Method;

typedef struct Run {
        const CopyOptions *o;
        const char *src, *dst;
        int src_fd, dst_fd;
        dev_t root_dev;
        int64_t since_ns;
        bool changes_only;
        /* Changes pass: the directories that are jobs of their own, sorted
         * (pointers into node_dirs, which owns them). */
        char **node_rels;
        size_t n_node_rels;
        char **node_dirs;
        /* Changes pass: CopyChanges.placed, sorted (owned). */
        char **placed_rels;
        size_t n_placed_rels;
        mode_t umask;
        uid_t euid;

        pthread_mutex_t lock;
        pthread_cond_t work;
        pthread_cond_t finished;
        Job *stack;
        unsigned busy;
        /* Workers that may hold a job at once (pace.h): all of them, or
         * fewer while the CPUs are saturated. */
        unsigned limit;
        bool done;
        /* The limit follows the CPUs (the default worker count), and the
         * lowest it went. */
        bool paced;
        unsigned lowest;

        pthread_mutex_t map_lock;
        pthread_cond_t map_cond;
        InodeMap *map;

        atomic_bool abort;
        pthread_mutex_t err_lock;
        int err;
        char *err_msg;

        atomic_int method;
        bool method_fixed;
        atomic_uint tmp_counter;

        atomic_uint_fast64_t entries, copied, updated, linked, deleted, vanished, bytes, skipped;
        atomic_uint_fast64_t progress_bytes, progress_entries;
} Run;

typedef struct Worker {
        Run *run;
        pthread_t thread;
        char *buf;
        /* Progress bytes already counted for the file at hand (big files
         * count as they are copied). */
        uint64_t counted;
        /* The file offset of the target file being written (sendfile()
         * writes there). */
        uint64_t out_pos;
        /* xattr name lists and values of source and target */
        char *xl[2], *xv[2];
        size_t xl_size[2], xv_size[2];
} Worker;

/* A file without an fd of its own (symlink, device, fifo, socket) is
 * reached for xattrs through its directory's fd in /proc. */
typedef struct XRef {
        int fd;
        char path[PATH_MAX];
} XRef;

typedef enum Placement {
        PLACE_NEW,     /* nothing of that name in the target */
        PLACE_REPLACE, /* something to replace atomically: made under a temporary name, renamed over */
        PLACE_INPLACE, /* the target's regular file is rewritten (it has several names) */
} Placement;

/* Names of Method, for CopyStats.data_method. */
extern const char *const copy_method_names[];

static inline int64_t ts_ns(struct timespec t) {
        return (int64_t) t.tv_sec * 1000000000LL + t.tv_nsec;
}
static inline int64_t now_ns(clockid_t clock) {
        struct timespec t;

        clock_gettime(clock, &t);
        return ts_ns(t);
}
static inline bool aborted(Run *r) {
        return atomic_load_explicit(&r->abort, memory_order_relaxed);
}
static inline bool is_vanished(int err) {
        return err == -ENOENT || err == -ENOTDIR;
}
static inline bool same_type(uint32_t a, uint32_t b) {
        return (a & S_IFMT) == (b & S_IFMT);
}
/* Changes pass: the target's directory d was neither made by this run nor
 * is it one whose existing subdirectories are skipped: it lies in (or is)
 * one in doubt (copy_dir_in_doubt()), entered whole, and a file of the same
 * size and mtime in it may be another directory's: its data is copied
 * again, its attributes compared. */
static inline bool node_in_doubt(const Run *r, const DirNode *d) {
        return r->changes_only && !d->shallow && !d->fresh;
}

/* engine-walk.c: the walk */
void copy_attrs_from_statx(Attrs *a, const struct statx *sx);
int copy_stat_at(int dirfd, const char *name, Attrs *ret);
char *copy_rel_join(const char *dir, const char *name);
/* The first error ends the run: it is kept (with its message) and every
 * worker stops taking jobs. */
void copy_fail(Run *r, int err, const char *fmt, ...) _printf_(3, 4);
void copy_fail_write(Run *r, int err, const char *what, const char *rel);
void copy_vanished(Run *r, const char *rel);
void copy_push(Run *r, Job *j);
DirNode *copy_dir_new(DirNode *parent, char *rel, const Attrs *a, bool fresh, bool shallow);
void *copy_worker_main(void *worker);
int copy_read_dir(int fd, bool top, char **ret_names, Entry **ret_entries, size_t *ret_n);
bool copy_dir_in_doubt(const Run *r, const Attrs *a, const Attrs *d);
void copy_handle_subdir(Worker *w, Listing *L, const char *name, const Attrs *a, bool exists, const Attrs *d);

/* engine-attrs.c */
int copy_xref_path(XRef *x, int dirfd, const char *name);
int copy_sync_xattrs(Worker *w, const XRef *src, const XRef *dst, bool dst_clean, const char *rel);
int copy_apply_attrs_fd(Worker *w, int src_fd, int dst_fd, const Attrs *a, bool created, bool clean, const char *rel);
int copy_apply_attrs_at(Worker *w, Listing *L, const char *src_name, const char *dst_name, const Attrs *a,
        bool created, bool clean, const char *rel);
int copy_apply_dir_attrs(Worker *w, int s, int t, const DirNode *d);

/* engine-data.c */
int copy_file_data(Worker *w, int in, int out, const Attrs *a, uint64_t *ret_bytes);

/* engine-remove.c: name in the target directory of L (rel its path below
 * the target; NULL: name), a whole tree if it is a directory, never crossing into a
 * filesystem mounted there (-EXDEV). A failure ends the run (copy_fail()),
 * naming the mount point met. */
int copy_remove_dst(Run *r, Listing *L, const char *name, const char *rel, bool is_dir);

/* engine-entry.c */
void copy_do_entry(Worker *w, Listing *L, Entry *e, bool allow_defer);

/* engine-changes.c: the final pass from a record */
/* The jobs of a complete record's directories (node_rels, node_dirs and
 * placed_rels of r are set, on failure too; copy_changes_plan_free()
 * frees them when the run ends). */
int copy_changes_to_nodes(Run *r, DirNode ***ret, size_t *ret_n);
void copy_changes_plan_free(Run *r);
/* Whether rel is one of those jobs. */
bool copy_is_node(const Run *r, const char *rel);
/* After the pass: NULL, or why the record was short (a file with several
 * names has names in directories it did not list). */
const char *copy_verify_links(Run *r);
