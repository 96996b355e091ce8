/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "move/move.h"
#include "output/output.h"
#include "util/interrupt.h"
#include "util/journald.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"

/* The fixed ids of the move's structured journal entries (journalctl
 * MESSAGE_ID=...): one per step, one for the result. */
#define MOVE_MESSAGE_STEP "47149657920f4865ad63b4d2f256ebf5"
#define MOVE_MESSAGE_RESULT "17b56e3d23b94663884cc89c537de8cc"

static const int exit_status_of[_MOVE_OUTCOME_MAX] = {
        [MOVE_PLANNED] = EXIT_OK,
        [MOVE_UNCHANGED] = EXIT_OK,
        [MOVE_REFUSED] = EXIT_REFUSED,
        [MOVE_FAILED] = EXIT_FAIL,
        [MOVE_DONE] = EXIT_OK,
        [MOVE_ROLLED_BACK] = EXIT_ROLLED_BACK,
        [MOVE_NEEDS_HUMAN] = EXIT_NEEDS_HUMAN,
};

typedef struct Progress {
        bool terminal;
        unsigned long long last_ms;
} Progress;

/* A bar on a terminal; a plain line every 10 s otherwise (logs, cloud-init). */
static void on_progress(const CopyProgress *p, void *userdata) {
        Progress *pr = userdata;
        unsigned long long now = now_ms();

        if (output_is_json())
                return;
        if (pr->terminal) {
                char bar[31];
                unsigned fill = p->percent * 30 / 100;
                memset(bar, '#', fill);
                memset(bar + fill, ' ', 30 - fill);
                bar[30] = '\0';
                fprintf(stderr, "\r[%s] %3u%% %8.1f MiB  %6.1f MiB/s  ETA %u:%02u ", bar, p->percent,
                        p->bytes / 1048576.0, p->rate / 1048576.0, p->eta_sec / 60, p->eta_sec % 60);
                if (p->percent >= 100)
                        fputc('\n', stderr);
                fflush(stderr);
                return;
        }
        if (now - pr->last_ms >= 10000 || p->percent >= 100) {
                pr->last_ms = now;
                log_info("copy: %u%%, %.1f MiB, %.1f MiB/s", p->percent, p->bytes / 1048576.0, p->rate / 1048576.0);
        }
}

/* The fields every journal entry of a move carries, after extra. */
static char **journald_fields(const MoveSummary *s, char **extra) {
        if ((s->device && strv_extendf(&extra, "DOCKER_RELOCATE_DEVICE=%s", s->device) < 0) ||
            (s->volume_id && strv_extendf(&extra, "DOCKER_RELOCATE_VOLUME_ID=%s", s->volume_id) < 0) ||
            (s->old_root && strv_extendf(&extra, "DOCKER_RELOCATE_OLD_ROOT=%s", s->old_root) < 0) ||
            (s->new_root && strv_extendf(&extra, "DOCKER_RELOCATE_NEW_ROOT=%s", s->new_root) < 0))
                return strv_free(extra);
        return extra;
}

static void on_step(const Move *m, const char *step, const char *doing, double seconds, void *userdata) {
        _cleanup_strv_free_ char **fields = NULL;
        MoveSummary s;

        if (seconds < 0) {
                if (streq(step, "roll-back"))
                        log_warning("Rolling back: %s", strna(doing));
                else if (doing)
                        log_info("%s...", doing);
                return;
        }
        log_info("  done: %s (%.1f s)", step, seconds);
        if (!journald_enabled())
                return;
        move_summary(m, &s);
        if (strv_extendf(&fields, "DOCKER_RELOCATE_STEP=%s", step) < 0 ||
            strv_extendf(&fields, "DOCKER_RELOCATE_STEP_SEC=%.1f", seconds) < 0)
                return;
        fields = journald_fields(&s, TAKE_PTR(fields));
        journald_send(MOVE_MESSAGE_STEP, LOG_INFO, fields, "Move of Docker's data root: step %s done (%.1f s)", step,
                      seconds);
}

/* One journal entry for the outcome, however the move ended. */
static void journald_result(const MoveSummary *s, int exit_status) {
        _cleanup_strv_free_ char **fields = NULL;
        const char *status = move_outcome_status_to_string(s->outcome);

        if (!journald_enabled())
                return;
        if (strv_extendf(&fields, "DOCKER_RELOCATE_STATUS=%s", status) < 0 ||
            strv_extendf(&fields, "DOCKER_RELOCATE_EXIT_STATUS=%d", exit_status) < 0 ||
            (s->downtime_sec > 0 && strv_extendf(&fields, "DOCKER_RELOCATE_DOWNTIME_SEC=%.1f", s->downtime_sec) < 0) ||
            (s->final_pass && strv_extendf(&fields, "DOCKER_RELOCATE_FINAL_PASS=%s", s->final_pass) < 0) ||
            (s->final_pass_containerd &&
             strv_extendf(&fields, "DOCKER_RELOCATE_FINAL_PASS_CONTAINERD=%s", s->final_pass_containerd) < 0))
                return;
        fields = journald_fields(s, TAKE_PTR(fields));
        /* A failure is an error; a rollback left the host as it was. */
        journald_send(MOVE_MESSAGE_RESULT,
                      exit_status == EXIT_OK            ? LOG_NOTICE
                      : exit_status == EXIT_ROLLED_BACK ? LOG_WARNING
                                                        : LOG_ERR,
                      fields, "Move of Docker's data root %s -> %s: %s%s%s", strna(s->old_root), strna(s->new_root),
                      status, s->error ? ": " : "", strempty(s->error));
}

static void print_plan(const MoveSummary *s) {
        unsigned n = 1;

        if (s->outcome == MOVE_UNCHANGED) {
                output_printf("Docker's data root is already %s: the move was done before. Nothing to do.\n",
                              strna(s->new_root));
                return;
        }
        if (s->resuming && streq(s->resumed_at, "rolling-back")) {
                output_printf("The rollback of the failed move to %s was interrupted; this run finishes it:\n",
                              strna(s->new_root));
                STRV_FOREACH(p, s->plan_steps)
                        output_printf("  %s\n", *p);
                fflush(stdout);
                return;
        }
        output_printf("Move Docker's data root\n  from %s\n  to   %s\n", strna(s->old_root), strna(s->new_root));
        if (s->new_containerd_root)
                output_printf("and containerd's root, which holds Docker's images\n  from %s\n  to   %s\n",
                              s->old_containerd_root, s->new_containerd_root);
        if (s->resuming)
                output_printf("  (resuming an interrupted move that reached '%s')\n", s->resumed_at);
        if (s->store)
                output_printf("  image store: %s (driver %s%s%s), containerd: %s%s\n", s->store, strna(s->driver),
                              s->driver_type ? ", " : "", strempty(s->driver_type), strna(s->containerd_kind),
                              s->new_containerd_root         ? ", its root moves too"
                              : streq_ptr(s->containerd_kind, "system") ? ", stays (it holds none of Docker's images)"
                                                                         : ", under the data root: moves with it");
        output_printf("  data:  %.2f GiB\n", s->bytes / 1073741824.0);
        output_printf("  inodes: %llu (hard links once)\n", (unsigned long long) s->inodes);
        if (s->new_containerd_root)
                output_printf("  containerd's root: %.2f GiB, %llu inodes\n", s->containerd_bytes / 1073741824.0,
                              (unsigned long long) s->containerd_inodes);
        if (s->free_known)
                output_printf("  target free: %.2f GiB, %llu inodes\n", s->free_bytes / 1073741824.0,
                              (unsigned long long) s->free_inodes);
        output_printf("  copier: %s\n", strna(s->copier));
        output_printf("  expected downtime: about %.0f s%s\n", s->estimate_sec,
                      s->pre_copy ? " (with a live pre-copy first)" : "");
        output_printf("\nSteps:\n");
        STRV_FOREACH(d, s->disk_steps)
                output_printf("  %u. %s\n", n++, *d);
        STRV_FOREACH(p, s->plan_steps)
                output_printf("  %u. %s\n", n++, *p);
        if (!isempty(s->diff))
                output_printf("\nConfiguration change:\n%s", s->diff);
        STRV_FOREACH(note, s->notes)
                output_printf("Note: %s\n", *note);
        STRV_FOREACH(w, s->warnings)
                output_printf("Warning: %s\n", *w);
        /* The plan must be on the screen (or in the log) before the progress
         * lines on stderr. */
        fflush(stdout);
}

static void print_result(const MoveSummary *s) {
        /* What the downtime was made of: the final pass of each tree, from
         * the record of changes or over the whole tree, and why. */
        if (s->final_pass)
                output_printf("final pass: %s\n", s->final_pass);
        if (s->final_pass_containerd)
                output_printf("final pass of containerd's root: %s\n", s->final_pass_containerd);
        switch (s->outcome) {
        case MOVE_DONE:
                output_printf("Docker now runs on %s; images, containers and volumes verified.\n", s->new_root);
                if (s->new_containerd_root)
                        output_printf("containerd now runs on %s.\n", s->new_containerd_root);
                output_printf("Downtime: %.1f s.\n", s->downtime_sec);
                if (!s->delete_old)
                        output_printf("The old data root %s%s%s%s is kept; remove it with 'docker-relocate "
                                      "cleanup'.\n",
                                      s->old_root, s->old_containerd_root ? " (and containerd's old root " : "",
                                      strempty(s->old_containerd_root), s->old_containerd_root ? ")" : "");
                break;
        case MOVE_UNCHANGED:
                output_printf("Nothing to do: Docker already runs on %s.\n", strna(s->new_root));
                break;
        case MOVE_ROLLED_BACK:
                output_printf("The move failed and was rolled back: Docker runs on %s as before.\n%s\n", s->old_root,
                              strna(s->error));
                break;
        default:
                if (s->error)
                        log_error("%s", s->error);
                if (s->advice)
                        log_error("%s", s->advice);
        }
        STRV_FOREACH(w, s->warnings)
                log_warning("%s", *w);
}

/* Every reason on stderr, a line each: under cloud-init or with 2>log,
 * stdout may be lost or be the JSON object. */
static void print_refusal(const MoveSummary *s) {
        STRV_FOREACH(r, s->refusals)
                log_error("Refused: %s", *r);
        if (s->advice)
                log_error("Refused; this run changed nothing. %s", s->advice);
        else
                log_error("Refused; nothing was changed.");
}

/* The report, with --json; the outcome's exit status in any case. */
static int report(const Move *m, const Options *o, int exit_status) {
        cJSON *j;

        if (!o->json)
                return exit_status;
        j = move_report(m, exit_status);
        if (!j)
                return cmd_oom();
        cmd_set_report(j);
        return exit_status;
}

static int check_usage(const Options *o) {
        if (!!o->device == !!o->to)
                return cmd_fail(EXIT_USAGE, 0, "'move' takes exactly one of --device DEVICE or --to DIR.");
        if (o->to && (o->mount || o->fs || o->label || o->partition || o->wipe || o->wait_device_sec >= 0))
                return cmd_fail(EXIT_USAGE, 0,
                                "--mount, --fs, --label, --partition, --wipe and --wait-device go with --device, not "
                                "--to.");
        if (geteuid() != 0)
                return cmd_fail(EXIT_FAIL, 0, "'move' must run as root.");
        return EXIT_OK;
}

int verb_move(const Options *o) {
        _cleanup_(move_freep) Move *m = NULL;
        _cleanup_free_ char *error = NULL;
        Progress progress = { .terminal = output_on_terminal() };
        MoveRequest req = {
                .device = o->device,
                .mount = o->mount,
                .fs = o->fs,
                .label = o->label,
                .partition = o->partition,
                .wipe = o->wipe,
                .allow_instance_store = o->allow_instance_store,
                .wait_device_sec = o->wait_device_sec,
                .to = o->to,
                .pre_copy = o->pre_copy != 0,
                .delete_old = o->delete_old,
                .force = o->force,
                .copier = o->copier >= 0 ? (Copier) o->copier : COPIER_ENGINE,
                .progress = on_progress,
                .step = on_step,
                .userdata = &progress,
        };
        MoveSummary s;
        int r;

        r = check_usage(o);
        if (r != EXIT_OK)
                return r;

        r = move_plan(&req, &m, &error);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "%s", error ?: "Failed to plan the move: %m");
        move_summary(m, &s);
        if (!o->json)
                print_plan(&s);
        switch (r) {
        case MOVE_REFUSED:
                print_refusal(&s);
                return report(m, o, EXIT_REFUSED);
        case MOVE_FAILED:
                print_result(&s);
                return report(m, o, EXIT_FAIL);
        case MOVE_UNCHANGED:
                journald_result(&s, EXIT_OK);
                return report(m, o, EXIT_OK);
        }
        if (o->dry_run)
                return report(m, o, EXIT_OK);

        r = cmd_confirm(o->yes, "Proceed with the move?");
        if (r == -ENOTTY)
                return cmd_fail(EXIT_REFUSED, 0, "Not on a terminal: pass --yes to run the move unattended.");
        if (r == 0)
                return cmd_fail(EXIT_REFUSED, 0, "Not confirmed; nothing was changed.");

        /* From here on a Ctrl-C, a lost session or a stop request ends the
         * move at a safe point instead of between "Docker stopped" and
         * "Docker started". */
        r = interrupt_watch("the move stops after its current step and puts back what it changed; once Docker "
                            "runs verified on the new data root it finishes instead. Wait for it: SIGKILL would end "
                            "it where it is (running the move again takes it up).");
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Cannot take over SIGINT and SIGTERM for the move: %m");
        r = move_execute(m);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "The move failed: %m");
        move_summary(m, &s);
        if (r == MOVE_REFUSED) {
                print_refusal(&s);
                return report(m, o, EXIT_REFUSED);
        }
        journald_result(&s, exit_status_of[r]);
        /* stdout only without --json; a failure's reason and advice go to
         * stderr in any case. */
        print_result(&s);
        return report(m, o, exit_status_of[r]);
}
