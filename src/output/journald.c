/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
/* The code location is the log call's, which log.h passes on, not ours. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "output/journald.h"
#include "output/output.h"
#include "util/macro.h"

#define MAX_FIELDS 16

/* The fields of one entry, each "NAME=value", for sd_journal_sendv(). */
typedef struct Entry {
        struct iovec iov[MAX_FIELDS];
        size_t n;
} Entry;

static void entry_done(Entry *e) {
        for (size_t i = 0; i < e->n; i++)
                free(e->iov[i].iov_base);
        e->n = 0;
}

static void add(Entry *e, const char *format, ...) _printf_(2, 3);
static void add(Entry *e, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        if (e->n >= MAX_FIELDS)
                return;
        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return; /* out of memory: the entry goes without this field */
        e->iov[e->n++] = (struct iovec){ .iov_base = s, .iov_len = (size_t) r };
}

static void add_string(Entry *e, const char *name, const char *value) {
        if (value)
                add(e, "%s=%s", name, value);
}

static void send_entry(Entry *e) {
        add(e, "SYSLOG_IDENTIFIER=%s", PROGRAM_NAME);
        (void) sd_journal_sendv(e->iov, (int) e->n);
        entry_done(e);
}

bool journald_enabled(void) {
        static int enabled = -1;

        if (enabled < 0)
                enabled = !isatty(STDERR_FILENO) && access(JOURNALD_SOCKET, F_OK) == 0;
        return enabled;
}

/* Under a systemd unit whose stderr is the journal, systemd says so in
 * $JOURNAL_STREAM ("DEVICE:INODE" of that stream): the plain lines reach the
 * journal already, and sending them again would show each twice. */
static bool stderr_is_journal(void) {
        static int is = -1;
        unsigned long long dev, ino;
        const char *e;
        struct stat st;

        if (is < 0) {
                e = getenv("JOURNAL_STREAM");
                is = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                     st.st_dev == dev && st.st_ino == ino;
        }
        return is;
}

void journald_log(int priority, int error, const char *file, int line, const char *message) {
        Entry e = {};

        if (!journald_enabled() || stderr_is_journal())
                return;
        add(&e, "MESSAGE=%s", message);
        add(&e, "PRIORITY=%d", priority);
        if (error != 0)
                add(&e, "ERRNO=%d", error < 0 ? -error : error);
        add(&e, "CODE_FILE=%s", file);
        add(&e, "CODE_LINE=%d", line);
        send_entry(&e);
}

static void add_move(Entry *e, const JournaldMove *m) {
        add_string(e, "DOCKER_RELOCATE_DEVICE", m->device);
        add_string(e, "DOCKER_RELOCATE_VOLUME_ID", m->volume_id);
        add_string(e, "DOCKER_RELOCATE_OLD_ROOT", m->old_root);
        add_string(e, "DOCKER_RELOCATE_NEW_ROOT", m->new_root);
}

void journald_move_step(const JournaldMove *m, const char *step, double seconds) {
        Entry e = {};

        if (!journald_enabled())
                return;
        add(&e, "MESSAGE_ID=%s", JOURNALD_MESSAGE_MOVE_STEP);
        add(&e, "MESSAGE=Move of Docker's data root: step %s done (%.1f s)", step, seconds);
        add(&e, "PRIORITY=%d", LOG_INFO);
        add(&e, "DOCKER_RELOCATE_STEP=%s", step);
        add(&e, "DOCKER_RELOCATE_STEP_SEC=%.1f", seconds);
        add_move(&e, m);
        send_entry(&e);
}

void journald_move_result(const JournaldMove *m, const char *status, int exit_status, double downtime_sec,
                          const char *error) {
        Entry e = {};

        if (!journald_enabled())
                return;
        add(&e, "MESSAGE_ID=%s", JOURNALD_MESSAGE_MOVE_RESULT);
        if (error)
                add(&e, "MESSAGE=Move of Docker's data root %s -> %s: %s: %s", strna(m->old_root),
                    strna(m->new_root), strna(status), error);
        else
                add(&e, "MESSAGE=Move of Docker's data root %s -> %s: %s", strna(m->old_root), strna(m->new_root),
                    strna(status));
        /* A failure is an error; a rollback left the host as it was. */
        add(&e, "PRIORITY=%d", exit_status == EXIT_OK            ? LOG_NOTICE
                                 : exit_status == EXIT_ROLLED_BACK ? LOG_WARNING
                                                                   : LOG_ERR);
        add_string(&e, "DOCKER_RELOCATE_STATUS", status);
        add(&e, "DOCKER_RELOCATE_EXIT_STATUS=%d", exit_status);
        if (downtime_sec > 0)
                add(&e, "DOCKER_RELOCATE_DOWNTIME_SEC=%.1f", downtime_sec);
        add_move(&e, m);
        send_entry(&e);
}
