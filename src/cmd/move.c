/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "move/move.h"
#include "output/output.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/path.h"
#include "util/process.h"


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

static int ask_yes(void) {
        char answer[16] = "";

        fprintf(stderr, "Proceed with the move? [y/N] ");
        fflush(stderr);
        if (!fgets(answer, sizeof(answer), stdin))
                return 0;
        return answer[0] == 'y' || answer[0] == 'Y';
}

static int print_report(const Move *m) {
        _cleanup_json_ cJSON *j = move_report(m);
        if (!j)
                return log_oom();
        return output_json(j);
}

int verb_move(const Options *o) {
        _cleanup_(move_freep) Move *m = NULL;
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
                .progress = on_progress,
                .progress_userdata = &progress,
        };
        int r;

        if (!!o->device == !!o->to) {
                log_error("'move' takes exactly one of --device DEVICE or --to DIR.");
                return EXIT_USAGE;
        }
        if (o->to && (o->mount || o->fs || o->label || o->partition || o->wipe || o->wait_device_sec >= 0)) {
                log_error("--mount, --fs, --label, --partition, --wipe and --wait-device go with --device, not --to.");
                return EXIT_USAGE;
        }
        if (!root_is_host(o->root)) {
                log_error("'move' acts on the running host and its Docker daemon; --root is for set-data-root and "
                          "status.");
                return EXIT_USAGE;
        }
        if (geteuid() != 0) {
                log_error("'move' must run as root.");
                return EXIT_FAIL;
        }

        r = move_plan(&req, &m);
        if (r < 0)
                return r;
        if (!o->json)
                move_print_plan(m);
        if (r == EXIT_REFUSED) {
                if (o->json)
                        (void) print_report(m);
                if (move_advice(m))
                        log_error("Refused; this run changed nothing. %s", move_advice(m));
                else
                        log_error("Refused; nothing was changed.");
                return EXIT_REFUSED;
        }
        if (r != EXIT_OK) {
                if (o->json)
                        (void) print_report(m);
                if (move_advice(m))
                        log_error("%s", move_advice(m));
                return r;
        }
        if (o->dry_run || move_already_done(m)) {
                if (move_already_done(m))
                        (void) move_execute(m);
                if (o->json)
                        (void) print_report(m);
                return EXIT_OK;
        }

        if (!o->yes) {
                if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
                        log_error("Not on a terminal: pass --yes to run the move unattended.");
                        if (o->json)
                                (void) print_report(m);
                        return EXIT_REFUSED;
                }
                if (!ask_yes()) {
                        log_error("Not confirmed; nothing was changed.");
                        return EXIT_REFUSED;
                }
        }

        r = move_execute(m);
        if (o->json)
                (void) print_report(m);
        else
                move_print_result(m);
        return r;
}

static int undo_or_cleanup(const Options *o, int (*fn)(bool, bool, cJSON **)) {
        _cleanup_json_ cJSON *report = NULL;
        int r;

        if (!root_is_host(o->root)) {
                log_error("This command acts on the running host.");
                return EXIT_USAGE;
        }
        r = fn(o->yes, o->dry_run, &report);
        if (o->json && report)
                (void) output_json(report);
        return r;
}

int verb_rollback(const Options *o) {
        return undo_or_cleanup(o, move_undo);
}

int verb_cleanup(const Options *o) {
        return undo_or_cleanup(o, move_cleanup);
}
