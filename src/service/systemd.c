/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "service/systemd.h"
#include "util/error.h"
#include "util/macro.h"
#include "util/process.h"
#include "util/strv.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_SERVICE "org.freedesktop.systemd1.Service"
#define SYSTEMD_PRIVATE_SOCKET "/run/systemd/private"
/* For the calls that take no timeout of their own. */
#define BUS_TIMEOUT_MS (120U * 1000U)

/* After the stop jobs finished, a unit that some other unit or socket pulls
 * in again would be active moments later; looking twice, this far apart,
 * catches that before the copy starts. */
#define REACTIVATION_CHECK_MS 1000U

static void sd_bus_error_freep(sd_bus_error *e) {
        sd_bus_error_free(e);
}
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_freep)

static const char *bus_error_text(const sd_bus_error *e, int r) {
        return sd_bus_error_is_set(e) && e->message ? e->message : strerror(-r);
}

/* As root, systemctl talks to PID 1 on its private socket first: it works
 * before dbus-daemon runs (early boot, cloud-init's early stages) and when
 * the bus is stuck. Same here, unless DBUS_SYSTEM_BUS_ADDRESS names another
 * bus on purpose. */
static int bus_open_private(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (geteuid() != 0 || getenv("DBUS_SYSTEM_BUS_ADDRESS") || access(SYSTEMD_PRIVATE_SOCKET, F_OK) < 0)
                return -ENOENT;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, "unix:path=" SYSTEMD_PRIVATE_SOCKET);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

static int bus_open(unsigned timeout_ms, sd_bus **ret, char **ret_error) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = bus_open_private(&bus);
        if (r < 0)
                r = sd_bus_open_system(&bus);
        if (r < 0)
                return error_set(ret_error, r, "Cannot connect to systemd, neither on %s nor on the system bus: %s",
                                 SYSTEMD_PRIVATE_SOCKET, strerror(-r));
        /* No method call may outlast the whole operation. */
        r = sd_bus_set_method_call_timeout(bus, (uint64_t) timeout_ms * 1000U);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

typedef struct JobWait {
        char **jobs;    /* object paths of the jobs enqueued */
        char **units;   /* the unit of each job, same index */
        char **removed; /* path, result, path, result, ... as JobRemoved reported */
} JobWait;

static void job_wait_done(JobWait *w) {
        strv_free(w->jobs);
        strv_free(w->units);
        strv_free(w->removed);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0; /* not ours to fail on */
        /* Every removal is kept: a job can finish before the reply that
         * names it has been read. */
        if (strv_extend(&w->removed, path) < 0 || strv_extend(&w->removed, result) < 0)
                return -ENOMEM;
        return 0;
}

static const char *job_result(const JobWait *w, const char *job) {
        for (size_t k = 0; w->removed && w->removed[k] && w->removed[k + 1]; k += 2)
                if (streq(w->removed[k], job))
                        return w->removed[k + 1];
        return NULL;
}

/* Processes the bus until every job was removed or the deadline passed. */
static int wait_jobs(sd_bus *bus, JobWait *w, unsigned long long deadline, const char *verb, char **ret_error) {
        int r;

        for (;;) {
                bool all = true;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return error_set(ret_error, r, "Lost the system bus while waiting for the %s jobs: %s", verb,
                                         strerror(-r));
                for (size_t k = 0; w->jobs && w->jobs[k]; k++)
                        if (!job_result(w, w->jobs[k]))
                                all = false;
                if (all)
                        break;
                if (r > 0)
                        continue;

                unsigned long long now = now_ms();
                if (now >= deadline) {
                        for (size_t k = 0; w->jobs && w->jobs[k]; k++)
                                if (!job_result(w, w->jobs[k]))
                                        return error_set(ret_error, -ETIMEDOUT,
                                                         "Timed out waiting for systemd to %s %s", verb, w->units[k]);
                        return -ETIMEDOUT;
                }
                r = sd_bus_wait(bus, (deadline - now) * 1000U);
                if (r < 0 && r != -EINTR)
                        return r;
        }

        for (size_t k = 0; w->jobs && w->jobs[k]; k++) {
                const char *res = job_result(w, w->jobs[k]);
                if (!streq(res, "done"))
                        return error_set(ret_error, streq(res, "timeout") ? -ETIMEDOUT : -EIO,
                                         "systemd could not %s %s: job %s (see \"journalctl -u %s\")", verb,
                                         w->units[k], res, w->units[k]);
        }
        return 0;
}

/* Subscribes before any job exists, so that no JobRemoved is missed. */
static int subscribe(sd_bus *bus, JobWait *w, sd_bus_slot **ret_slot, char **ret_error) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        /* On the private socket signals come straight from PID 1, without
         * a sender name to match. */
        r = sd_bus_match_signal(bus, ret_slot, sd_bus_is_bus_client(bus) ? SD_DEST : NULL, SD_PATH, SD_MANAGER,
                                "JobRemoved", on_job_removed, w);
        if (r < 0)
                return error_set(ret_error, r, "Cannot watch systemd's jobs: %s", strerror(-r));
        /* The manager only emits job signals while someone subscribed. */
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &error, NULL, NULL);
        if (r < 0)
                return error_set(ret_error, r, "Cannot subscribe to systemd's signals: %s", bus_error_text(&error, r));
        return 0;
}

static int enqueue(sd_bus *bus, JobWait *w, const char *method, const char *unit, char **ret_error) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *job;
        int r;

        /* "replace": this job replaces a queued start of the same unit, so a
         * socket activation racing with the stop does not win. */
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, method, &error, &reply, "ss", unit, "replace");
        if (r < 0) {
                if (streq(method, "StopUnit") && sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                        return 0; /* not loaded: nothing runs */
                return error_set(ret_error, r, "systemd refused to %s %s: %s",
                                 streq(method, "StopUnit") ? "stop" : "start", unit, bus_error_text(&error, r));
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                return r;
        if (strv_extend(&w->jobs, job) < 0 || strv_extend(&w->units, unit) < 0)
                return -ENOMEM;
        return 0;
}

static int unit_active_state(sd_bus *bus, const char *unit, char **ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *s = NULL;
        int r;

        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", &error, &reply, "s", unit);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit")) {
                        s = strdup("inactive");
                        if (!s)
                                return -ENOMEM;
                        *ret = s;
                        return 0;
                }
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT, "ActiveState", &error, &s);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int systemd_unit_active_state(const char *unit, char **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = bus_open(BUS_TIMEOUT_MS, &bus, NULL);
        if (r < 0)
                return r;
        return unit_active_state(bus, unit, ret);
}

static int check_stopped(sd_bus *bus, char *const *units, char **ret_error) {
        STRV_FOREACH(u, units) {
                _cleanup_free_ char *state = NULL;
                int r = unit_active_state(bus, *u, &state);
                if (r < 0)
                        return error_set(ret_error, r, "Cannot read the state of %s: %s", *u, strerror(-r));
                if (!streq(state, "inactive") && !streq(state, "failed"))
                        return error_set(ret_error, -EBUSY,
                                         "%s is %s again after it was stopped: something activates it "
                                         "(a socket, a timer or a unit that requires it)",
                                         *u, state);
        }
        return 0;
}

static bool unit_loaded(sd_bus *bus, const char *unit) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *load = NULL;
        const char *path;

        if (sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &error, &reply, "s", unit) < 0)
                return false;
        if (sd_bus_message_read(reply, "o", &path) < 0)
                return false;
        if (sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT, "LoadState", &error, &load) < 0)
                return false;
        return streq(load, "loaded");
}

/* Queues one job of method (StopUnit, StartUnit) for each unit, in the order
 * given, and waits for all of them. Each is its own job: systemd has no call
 * that queues jobs for several units as one transaction; in the order given
 * (docker.socket before docker.service) no connection can start the daemon
 * again while it stops. */
static int run_jobs(sd_bus *bus, const char *method, char *const *units, unsigned long long deadline,
                    char **ret_error) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(job_wait_done) JobWait w = {};
        bool start = streq(method, "StartUnit");
        int r;

        r = subscribe(bus, &w, &slot, ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(u, units) {
                /* A socket unit the host does not have is no error for a
                 * start; the service is. */
                if (start && endswith(*u, ".socket") && !unit_loaded(bus, *u))
                        continue;
                r = enqueue(bus, &w, method, *u, ret_error);
                if (r < 0)
                        return r;
        }
        return wait_jobs(bus, &w, deadline, start ? "start" : "stop", ret_error);
}

int systemd_stop_units(char *const *units, unsigned timeout_ms, char **ret_error) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        unsigned long long deadline = now_ms() + timeout_ms;
        int r;

        r = bus_open(timeout_ms, &bus, ret_error);
        if (r >= 0)
                r = run_jobs(bus, "StopUnit", units, deadline, ret_error);
        if (r >= 0)
                r = check_stopped(bus, units, ret_error);
        if (r < 0)
                return r;
        usleep(REACTIVATION_CHECK_MS * 1000U);
        return check_stopped(bus, units, ret_error);
}

int systemd_start_units(char *const *units, unsigned timeout_ms, char **ret_error) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        unsigned long long deadline = now_ms() + timeout_ms;
        int r;

        r = bus_open(timeout_ms, &bus, ret_error);
        if (r < 0)
                return r;
        /* A unit that failed to start a few times just now (dockerd on a
         * root it refused, restarted by Restart=always) has reached its
         * start limit, and systemd refuses any start, the rollback's too,
         * until the interval is over: a clean slate first, as
         * "systemctl reset-failed" gives. A unit that is not loaded or not
         * failed has nothing to reset. */
        STRV_FOREACH(u, units)
                (void) sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s", *u);
        return run_jobs(bus, "StartUnit", units, deadline, ret_error);
}

int systemd_reload(unsigned timeout_ms, char **ret_error) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = bus_open(timeout_ms, &bus, ret_error);
        if (r < 0)
                return r;
        /* The reply comes when the manager has reloaded. */
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Reload", &error, NULL, NULL);
        if (r < 0)
                return error_set(ret_error, r, "systemd daemon-reload failed: %s", bus_error_text(&error, r));
        return 0;
}

void systemd_exec_commands_free(SystemdExecCommand *c, size_t n) {
        for (size_t k = 0; c && k < n; k++) {
                free(c[k].path);
                strv_free(c[k].argv);
        }
        free(c);
}

void systemd_environment_files_free(SystemdEnvironmentFile *f, size_t n) {
        for (size_t k = 0; f && k < n; k++)
                free(f[k].path);
        free(f);
}

int systemd_parse_exec_commands(sd_bus_message *m, SystemdExecCommand **ret, size_t *ret_n) {
        SystemdExecCommand *l = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(sasbttttuii)");
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_strv_free_ char **argv = NULL;
                const char *path;
                int ignore;
                uint64_t t1, t2, t3, t4;
                uint32_t pid;
                int32_t code, status;
                SystemdExecCommand *nl;

                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, "sasbttttuii");
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                if ((r = sd_bus_message_read(m, "s", &path)) < 0 || (r = sd_bus_message_read_strv(m, &argv)) < 0 ||
                    (r = sd_bus_message_read(m, "bttttuii", &ignore, &t1, &t2, &t3, &t4, &pid, &code, &status)) <
                            0 ||
                    (r = sd_bus_message_exit_container(m)) < 0)
                        goto fail;

                nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl) {
                        r = -ENOMEM;
                        goto fail;
                }
                l = nl;
                l[n] = (SystemdExecCommand){ .path = strdup(path), .argv = TAKE_PTR(argv), .ignore_failure = ignore };
                n++;
                if (!l[n - 1].path) {
                        r = -ENOMEM;
                        goto fail;
                }
                /* An empty argv would leave the caller nothing to read. */
                if (!l[n - 1].argv && !(l[n - 1].argv = calloc(1, sizeof(char *)))) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = l;
        *ret_n = n;
        return 0;

fail:
        systemd_exec_commands_free(l, n);
        return r;
}

int systemd_parse_environment_files(sd_bus_message *m, SystemdEnvironmentFile **ret, size_t *ret_n) {
        SystemdEnvironmentFile *l = NULL;
        size_t n = 0;
        const char *path;
        int optional, r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(sb)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(sb)", &path, &optional)) > 0) {
                SystemdEnvironmentFile *nl = realloc(l, (n + 1) * sizeof(*l));
                if (!nl) {
                        r = -ENOMEM;
                        goto fail;
                }
                l = nl;
                l[n] = (SystemdEnvironmentFile){ .path = strdup(path), .optional = optional };
                n++;
                if (!l[n - 1].path) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        if (r < 0)
                goto fail;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = l;
        *ret_n = n;
        return 0;

fail:
        systemd_environment_files_free(l, n);
        return r;
}

SystemdUnitInfo *systemd_unit_info_free(SystemdUnitInfo *i) {
        if (!i)
                return NULL;
        free(i->fragment_path);
        strv_free(i->drop_in_paths);
        systemd_exec_commands_free(i->exec_start, i->n_exec_start);
        strv_free(i->environment);
        systemd_environment_files_free(i->environment_files, i->n_environment_files);
        free(i->active_state);
        free(i->load_state);
        free(i);
        return NULL;
}

static int get_property_message(sd_bus *bus, const char *path, const char *iface, const char *member,
                                const char *type, sd_bus_message **ret, char **ret_error) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property(bus, SD_DEST, path, iface, member, &error, ret, type);
        if (r < 0)
                return error_set(ret_error, r, "Cannot read %s of %s: %s", member, path, bus_error_text(&error, r));
        return 0;
}

int systemd_read_unit(const char *unit, SystemdUnitInfo **ret, char **ret_error) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *exec = NULL, *envf = NULL;
        _cleanup_systemd_unit_info_ SystemdUnitInfo *i = NULL;
        const char *path;
        int r;

        unit = unit ?: "docker.service";
        r = bus_open(BUS_TIMEOUT_MS, &bus, ret_error);
        if (r < 0)
                return r;

        /* LoadUnit, not GetUnit: a stopped unit may be unloaded, and its
         * configuration is what is asked for. */
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &error, &reply, "s", unit);
        if (r < 0)
                return error_set(ret_error, r, "Cannot load %s: %s", unit, bus_error_text(&error, r));
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;

        i = calloc(1, sizeof(*i));
        if (!i)
                return -ENOMEM;
        if ((r = sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT, "LoadState", &error, &i->load_state)) < 0 ||
            (r = sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT, "ActiveState", &error, &i->active_state)) <
                    0) {
                return error_set(ret_error, r, "Cannot read the state of %s: %s", unit, bus_error_text(&error, r));
        }
        if (streq(i->load_state, "not-found"))
                return error_set(ret_error, -ENOENT, "systemd has no unit %s", unit);
        if ((r = sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT, "FragmentPath", &error,
                                            &i->fragment_path)) < 0 ||
            (r = sd_bus_get_property_strv(bus, SD_DEST, path, SD_UNIT, "DropInPaths", &error, &i->drop_in_paths)) <
                    0 ||
            (r = sd_bus_get_property_strv(bus, SD_DEST, path, SD_SERVICE, "Environment", &error,
                                          &i->environment)) < 0) {
                return error_set(ret_error, r, "Cannot read the properties of %s: %s", unit,
                                 bus_error_text(&error, r));
        }

        {
                int need = 0;
                if (sd_bus_get_property_trivial(bus, SD_DEST, path, SD_UNIT, "NeedDaemonReload", &error, 'b', &need) >=
                    0)
                        i->need_daemon_reload = need;
                sd_bus_error_free(&error);
        }

        r = get_property_message(bus, path, SD_SERVICE, "ExecStart", "a(sasbttttuii)", &exec, ret_error);
        if (r < 0)
                return r;
        r = systemd_parse_exec_commands(exec, &i->exec_start, &i->n_exec_start);
        if (r < 0)
                return error_set(ret_error, r, "Cannot decode ExecStart of %s: %s", unit, strerror(-r));
        r = get_property_message(bus, path, SD_SERVICE, "EnvironmentFiles", "a(sb)", &envf, ret_error);
        if (r < 0)
                return r;
        r = systemd_parse_environment_files(envf, &i->environment_files, &i->n_environment_files);
        if (r < 0)
                return error_set(ret_error, r, "Cannot decode EnvironmentFiles of %s: %s", unit, strerror(-r));

        *ret = TAKE_PTR(i);
        return 0;
}
