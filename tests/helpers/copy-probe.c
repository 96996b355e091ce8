/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-only: drives the copy engine and the change tracker for the root
 * tests and the benchmark (bench/run.sh), and prints what they did as one
 * JSON object, with the wall time and the process's peak RSS. Not
 * installed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/engine.h"
#include "copy/tracker.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/strv.h"

static double now_sec(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static long peak_rss_kib(void) {
        struct rusage ru;
        return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

typedef struct Progress {
        unsigned calls;
        CopyProgress last;
        bool monotonic;
        bool verbose;
} Progress;

static void on_progress(const CopyProgress *p, void *userdata) {
        Progress *l = userdata;

        if (l->calls > 0 && (p->bytes < l->last.bytes || p->percent < l->last.percent))
                l->monotonic = false;
        l->calls++;
        l->last = *p;
        if (l->verbose)
                fprintf(stderr, "%3u%% %12llu bytes %9llu files %8.1f MiB/s eta %us\n", p->percent,
                        (unsigned long long) p->bytes, (unsigned long long) p->files, p->rate / 1048576.0, p->eta_sec);
}

/* Starts sh -c cmd alongside (changes made while a copy runs). */
static pid_t start_during(const char *cmd) {
        pid_t pid;

        if (!cmd)
                return -1;
        pid = fork();
        if (pid == 0) {
                execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                _exit(127);
        }
        return pid;
}

static void wait_during(pid_t pid, cJSON *j) {
        int status = 0;

        if (pid <= 0)
                return;
        (void) waitpid(pid, &status, 0);
        cJSON_AddNumberToObject(j, "during_status", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

static int print_json(cJSON *o) {
        _cleanup_free_ char *s = cJSON_Print(o);
        if (!s)
                return 1;
        printf("%s\n", s);
        return 0;
}

static void drop_caches(void) {
        FILE *f;

        sync();
        f = fopen("/proc/sys/vm/drop_caches", "we");
        if (f) {
                fputs("3\n", f);
                fclose(f);
        }
}

static cJSON *stats_json(int r, const char *msg, double sec, const CopyStats *st) {
        cJSON *j = cJSON_CreateObject();

        cJSON_AddNumberToObject(j, "errno", r < 0 ? -r : 0);
        json_add_string_or_null(j, "message", msg);
        cJSON_AddNumberToObject(j, "seconds", sec);
        cJSON_AddNumberToObject(j, "entries", (double) st->entries);
        cJSON_AddNumberToObject(j, "copied", (double) st->copied);
        cJSON_AddNumberToObject(j, "updated", (double) st->updated);
        cJSON_AddNumberToObject(j, "linked", (double) st->linked);
        cJSON_AddNumberToObject(j, "deleted", (double) st->deleted);
        cJSON_AddNumberToObject(j, "skipped", (double) st->skipped);
        cJSON_AddNumberToObject(j, "vanished", (double) st->vanished);
        cJSON_AddNumberToObject(j, "bytes", (double) st->bytes);
        cJSON_AddBoolToObject(j, "fell_back", st->fell_back);
        json_add_string_or_null(j, "fallback_reason", st->fallback_reason);
        return j;
}

static int cmd_copy(int argc, char **argv) {
        static const struct option options[] = {
                { "threads", required_argument, NULL, 't' },
                { "method", required_argument, NULL, 'm' },
                { "final", no_argument, NULL, 'f' },
                { "verbose", no_argument, NULL, 'v' },
                { "during", required_argument, NULL, 'd' },
                {},
        };
        const char *during = NULL;
        pid_t during_pid;
        CopyOptions o = { .pass = COPY_PASS_LIVE };
        Progress prog = { .monotonic = true };
        _cleanup_free_ char *msg = NULL;
        _cleanup_json_ cJSON *j = NULL;
        CopyStats st = {};
        double t0, t1;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        o.threads = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'm':
                        o.data_method = streq(optarg, "rw")         ? COPY_DATA_READ_WRITE
                                        : streq(optarg, "sendfile") ? COPY_DATA_SENDFILE
                                        : streq(optarg, "cfr")      ? COPY_DATA_COPY_FILE_RANGE
                                                                    : COPY_DATA_AUTO;
                        break;
                case 'f':
                        o.pass = COPY_PASS_FINAL;
                        break;
                case 'v':
                        prog.verbose = true;
                        break;
                case 'd':
                        during = optarg;
                        break;
                default:
                        return 2;
                }
        if (argc - optind != 2) {
                fprintf(stderr, "copy-probe copy [--threads N] [--method auto|rw|sendfile|cfr] [--final] SRC DST\n");
                return 2;
        }
        o.progress = on_progress;
        o.userdata = &prog;
        during_pid = start_during(during);
        t0 = now_sec();
        r = copy_engine_run(argv[optind], argv[optind + 1], &o, &st, &msg);
        t1 = now_sec();
        j = stats_json(r, msg, t1 - t0, &st);
        wait_during(during_pid, j);
        cJSON_AddNumberToObject(j, "peak_rss_kib", (double) peak_rss_kib());
        cJSON_AddNumberToObject(j, "threads", st.threads);
        cJSON_AddNumberToObject(j, "threads_lowest", st.threads_lowest);
        cJSON_AddStringToObject(j, "data_method", strna(st.data_method));
        cJSON_AddNumberToObject(j, "progress_calls", prog.calls);
        cJSON_AddNumberToObject(j, "last_percent", prog.last.percent);
        cJSON_AddNumberToObject(j, "last_bytes", (double) prog.last.bytes);
        cJSON_AddNumberToObject(j, "last_files", (double) prog.last.files);
        cJSON_AddBoolToObject(j, "progress_monotonic", prog.monotonic);
        print_json(j);
        return r < 0 ? 1 : 0;
}

/* The pre-copy with the change tracker running, a command between it and
 * the final pass (it stops Docker, makes changes), the final pass from the
 * tracker's record, and then, on the target that is now up to date, the
 * other way of doing the final pass for comparison: the full two-sided
 * comparison (optionally with cold caches). */
static int cmd_track(int argc, char **argv) {
        static const struct option options[] = {
                { "threads", required_argument, NULL, 't' },
                { "between", required_argument, NULL, 'b' },
                { "cold", no_argument, NULL, 'c' },
                { "no-thread", no_argument, NULL, 'n' },
                { "only-tracked", no_argument, NULL, 'o' },
                { "during", required_argument, NULL, 'd' },
                {},
        };
        _cleanup_(copy_tracker_freep) CopyTracker *t = NULL;
        _cleanup_(copy_changes_freep) CopyChanges *ch = NULL;
        _cleanup_json_ cJSON *j = cJSON_CreateObject();
        const char *between = NULL, *during = NULL;
        pid_t during_pid = -1;
        bool cold = false, only_tracked = false;
        CopyTrackerFlags flags = 0;
        CopyOptions o = { .pass = COPY_PASS_LIVE };
        CopyStats st = {};
        char *msg = NULL;
        double t0;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        o.threads = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'b':
                        between = optarg;
                        break;
                case 'c':
                        cold = true;
                        break;
                case 'n':
                        flags |= COPY_TRACKER_NO_THREAD;
                        break;
                case 'o':
                        only_tracked = true;
                        break;
                case 'd':
                        during = optarg;
                        break;
                default:
                        return 2;
                }
        if (argc - optind != 2) {
                fprintf(stderr, "copy-probe track [--threads N] [--during CMD] [--between CMD] [--cold] [--no-thread] "
                                "[--only-tracked] SRC DST\n");
                return 2;
        }
        const char *src = argv[optind], *dst = argv[optind + 1];

        t0 = now_sec();
        r = copy_tracker_start(src, flags, &t);
        cJSON_AddNumberToObject(j, "tracker_start_seconds", now_sec() - t0);
        if (r < 0) {
                cJSON_AddNumberToObject(j, "errno", -r);
                cJSON_AddStringToObject(j, "error", "copy_tracker_start");
                print_json(j);
                return 1;
        }
        /* Changes made while the pre-copy runs. */
        during_pid = start_during(during);
        t0 = now_sec();
        r = copy_engine_run(src, dst, &o, &st, &msg);
        cJSON_AddItemToObject(j, "precopy", stats_json(r, msg, now_sec() - t0, &st));
        msg = mfree(msg);
        wait_during(during_pid, j);
        if (r < 0) {
                print_json(j);
                return 1;
        }
        if (between) {
                t0 = now_sec();
                r = system(between);
                cJSON_AddNumberToObject(j, "between_seconds", now_sec() - t0);
                cJSON_AddNumberToObject(j, "between_status", r);
        }
        if (cold)
                drop_caches();

        t0 = now_sec();
        r = copy_tracker_finish(t, &ch);
        cJSON_AddNumberToObject(j, "tracker_finish_seconds", now_sec() - t0);
        if (r < 0) {
                cJSON_AddNumberToObject(j, "errno", -r);
                cJSON_AddStringToObject(j, "error", "copy_tracker_finish");
                print_json(j);
                return 1;
        }
        cJSON_AddBoolToObject(j, "record_complete", ch->complete);
        json_add_string_or_null(j, "record_reason", ch->reason);
        cJSON_AddNumberToObject(j, "record_dirs", (double) strv_length(ch->dirs));
        {
                cJSON *a = cJSON_AddArrayToObject(j, "dirs");
                size_t k = 0;
                STRV_FOREACH (d, ch->dirs)
                        if (k++ < 50)
                                cJSON_AddItemToArray(a, cJSON_CreateString(*d));
        }
        {
                cJSON *a = cJSON_AddArrayToObject(j, "placed");
                size_t k = 0;
                STRV_FOREACH (d, ch->placed)
                        if (k++ < 50)
                                cJSON_AddItemToArray(a, cJSON_CreateString(*d));
        }

        o.pass = COPY_PASS_FINAL;
        /* As the move does: an incomplete record is none, the whole tree
         * is compared. */
        o.changes = ch->complete ? ch : NULL;
        st = (CopyStats){};
        t0 = now_sec();
        r = copy_engine_run(src, dst, &o, &st, &msg);
        cJSON_AddItemToObject(j, "final_tracked", stats_json(r, msg, now_sec() - t0, &st));
        msg = mfree(msg);

        if (only_tracked) {
                print_json(j);
                return r < 0 ? 1 : 0;
        }
        /* The alternative, on the target that is up to date now. */
        if (cold)
                drop_caches();
        o.changes = NULL;
        st = (CopyStats){};
        t0 = now_sec();
        r = copy_engine_run(src, dst, &o, &st, &msg);
        cJSON_AddItemToObject(j, "final_full", stats_json(r, msg, now_sec() - t0, &st));
        msg = mfree(msg);
        cJSON_AddNumberToObject(j, "peak_rss_kib", (double) peak_rss_kib());
        print_json(j);
        return 0;
}

/* The benchmark's floor: the fastest this machine reads the source, with N
 * threads walking directories and reading every file's data (holes are not
 * read, as they are no data on the disk), on one filesystem. */
typedef struct ReadDir {
        struct ReadDir *next;
        char *path;
} ReadDir;

typedef struct Reader {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        ReadDir *stack;
        unsigned busy;
        bool done;
        dev_t dev;
        uint64_t files, bytes, entries;
        int err;
} Reader;

static void reader_push(Reader *rd, char *path) {
        ReadDir *d = malloc(sizeof(ReadDir));
        if (!d)
                abort();
        d->path = path;
        pthread_mutex_lock(&rd->lock);
        d->next = rd->stack;
        rd->stack = d;
        pthread_cond_signal(&rd->cond);
        pthread_mutex_unlock(&rd->lock);
}

static uint64_t read_file(int dirfd, const char *name, char *buf, size_t n) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
        struct stat st;
        uint64_t total = 0;
        off_t pos = 0;

        if (fd < 0 || fstat(fd, &st) < 0)
                return 0;
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        for (;;) {
                off_t data = (uint64_t) st.st_blocks * 512 < (uint64_t) st.st_size ? lseek(fd, pos, SEEK_DATA) : pos;
                off_t hole;
                if (data < 0)
                        break;
                hole = (uint64_t) st.st_blocks * 512 < (uint64_t) st.st_size ? lseek(fd, data, SEEK_HOLE) : st.st_size;
                while (data < hole) {
                        ssize_t k = pread(fd, buf, n, data);
                        if (k <= 0)
                                return total;
                        data += k;
                        total += (uint64_t) k;
                }
                pos = hole;
                if (pos >= st.st_size)
                        break;
        }
        return total;
}

static void *reader_main(void *p) {
        Reader *rd = p;
        char *buf = malloc(1 << 20), dents[65536];

        if (!buf)
                abort();
        for (;;) {
                ReadDir *d;
                uint64_t files = 0, bytes = 0, entries = 0;

                pthread_mutex_lock(&rd->lock);
                while (!rd->stack && rd->busy > 0 && !rd->done)
                        pthread_cond_wait(&rd->cond, &rd->lock);
                if (!rd->stack) {
                        rd->done = true;
                        pthread_cond_broadcast(&rd->cond);
                        pthread_mutex_unlock(&rd->lock);
                        break;
                }
                d = rd->stack;
                rd->stack = d->next;
                rd->busy++;
                pthread_mutex_unlock(&rd->lock);

                _cleanup_close_ int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                for (ssize_t k; fd >= 0 && (k = getdents64(fd, dents, sizeof(dents))) > 0;)
                        for (ssize_t o = 0; o < k;) {
                                struct dirent64 *e = (struct dirent64 *) (dents + o);
                                struct stat st;
                                o += e->d_reclen;
                                if (streq(e->d_name, ".") || streq(e->d_name, ".."))
                                        continue;
                                entries++;
                                if (e->d_type == DT_REG) {
                                        bytes += read_file(fd, e->d_name, buf, 1 << 20);
                                        files++;
                                } else if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 &&
                                           S_ISDIR(st.st_mode) && st.st_dev == rd->dev) {
                                        char *sub = NULL;
                                        if (asprintf(&sub, "%s/%s", d->path, e->d_name) < 0)
                                                abort();
                                        reader_push(rd, sub);
                                }
                        }
                free(d->path);
                free(d);
                pthread_mutex_lock(&rd->lock);
                rd->busy--;
                rd->files += files;
                rd->bytes += bytes;
                rd->entries += entries;
                if (!rd->stack && rd->busy == 0) {
                        rd->done = true;
                        pthread_cond_broadcast(&rd->cond);
                }
                pthread_mutex_unlock(&rd->lock);
        }
        free(buf);
        return NULL;
}

static int cmd_read(int argc, char **argv) {
        unsigned threads = 16;
        _cleanup_json_ cJSON *j = cJSON_CreateObject();
        Reader rd = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
        pthread_t *t;
        struct stat st;
        double t0;
        char *root;

        if (argc == 4 && streq(argv[1], "--threads")) {
                threads = (unsigned) strtoul(argv[2], NULL, 10);
                argv += 2;
                argc -= 2;
        }
        if (argc != 2 || threads == 0 || stat(argv[1], &st) < 0)
                return 2;
        rd.dev = st.st_dev;
        root = strdup(argv[1]);
        if (!root || !(t = calloc(threads, sizeof(pthread_t))))
                return 1;
        t0 = now_sec();
        reader_push(&rd, root);
        for (unsigned i = 0; i < threads; i++)
                if (pthread_create(&t[i], NULL, reader_main, &rd) != 0)
                        abort();
        for (unsigned i = 0; i < threads; i++)
                pthread_join(t[i], NULL);
        free(t);
        cJSON_AddNumberToObject(j, "seconds", now_sec() - t0);
        cJSON_AddNumberToObject(j, "threads", threads);
        cJSON_AddNumberToObject(j, "files", (double) rd.files);
        cJSON_AddNumberToObject(j, "entries", (double) rd.entries);
        cJSON_AddNumberToObject(j, "bytes", (double) rd.bytes);
        return print_json(j);
}

static int cmd_rsync_argv(int argc, char **argv) {
        _cleanup_strv_free_ char **a = NULL;

        if (argc != 4)
                return 2;
        a = copy_rsync_argv(argv[1], argv[2], streq(argv[3], "final") ? COPY_PASS_FINAL : COPY_PASS_LIVE);
        if (!a)
                return 1;
        STRV_FOREACH (s, a)
                printf("%s%s", s == a ? "" : " ", *s);
        printf("\n");
        return 0;
}

int main(int argc, char **argv) {
        const char *cmd = argc > 1 ? argv[1] : "";

        if (streq(cmd, "copy"))
                return cmd_copy(argc - 1, argv + 1);
        if (streq(cmd, "read"))
                return cmd_read(argc - 1, argv + 1);
        if (streq(cmd, "track"))
                return cmd_track(argc - 1, argv + 1);
        if (streq(cmd, "rsync-argv"))
                return cmd_rsync_argv(argc - 1, argv + 1);
        fprintf(stderr, "usage: copy-probe copy [OPTIONS] SRC DST | track [OPTIONS] SRC DST | rsync-argv SRC DST "
                        "live|final\n");
        return 2;
}
