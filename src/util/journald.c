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

#include "util/journald.h"
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

static void send_entry(Entry *e) {
        add(e, "SYSLOG_IDENTIFIER=%s", PROGRAM_NAME);
        (void) sd_journal_sendv(e->iov, (int) e->n);
        entry_done(e);
}

bool journald_enabled(void) {
        static int enabled = -1;

        /* Unattended runs only (a unit, cloud-init, Ansible): someone at a
         * terminal sees the lines, also when stderr is piped into grep. */
        if (enabled < 0)
                enabled = !isatty(STDERR_FILENO) && !isatty(STDIN_FILENO) && access(JOURNALD_SOCKET, F_OK) == 0;
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

void journald_send(const char *message_id, int priority, char *const *fields, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        Entry e = {};
        va_list ap;
        int r;

        if (!journald_enabled())
                return;
        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0)
                return; /* out of memory: the journal is a copy, not the record */
        add(&e, "MESSAGE_ID=%s", message_id);
        add(&e, "MESSAGE=%s", message);
        add(&e, "PRIORITY=%d", priority);
        for (size_t i = 0; fields && fields[i]; i++)
                add(&e, "%s", fields[i]);
        send_entry(&e);
}
