/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "move/undo.h"
#include "output/output.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/path.h"
#include "util/strv.h"

static void print_plan(const UndoSummary *s) {
        if (s->kind == UNDO_RESOLVE)
                output_printf("Close the record of the failed rollback (it is at '%s'):\n", s->interrupted_at);
        else if (s->kind == UNDO_FINISH)
                output_printf("Finish the rollback of the failed move to %s (it is at '%s'): back to the host as it "
                              "was before it.\n",
                              s->new_root, s->interrupted_at);
        else if (s->kind == UNDO_ABANDON)
                output_printf("Abandon the interrupted move to %s (it reached '%s'): back to the host as it was "
                              "before it.\n",
                              s->new_root, s->interrupted_at);
        else
                output_printf("Roll back:\n");
        STRV_FOREACH(l, s->plan)
                output_printf("  %s\n", *l);
        if (s->kind == UNDO_RESOLVE)
                return;
        if (s->kind == UNDO_ABANDON || s->kind == UNDO_FINISH)
                output_printf("Neither data root is touched: %s keeps what the move copied there; delete it when "
                              "sure.\n",
                              s->new_root);
        else
                output_printf("%s", strempty(s->diff));
}

int verb_rollback(const Options *o) {
        _cleanup_(undo_freep) Undo *u = NULL;
        _cleanup_free_ char *error = NULL;
        UndoSummary s;
        int r;

        if (o->resolved && o->yes)
                return cmd_fail(EXIT_USAGE, 0, "--resolved and --yes exclude each other: --yes runs the rollback.");

        r = undo_plan(o->resolved ? UNDO_RESOLVE : UNDO_ROLLBACK, &u, &error);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "%s", error ?: "Failed to plan the rollback: %m");
        undo_summary(u, &s);
        if (r == UNDO_REFUSED) {
                (void) cmd_fail(EXIT_REFUSED, 0, "%s", s.error);
                return cmd_report_undo(u, o->json, EXIT_REFUSED);
        }
        if (r == UNDO_UNCHANGED) {
                STRV_FOREACH(l, s.plan)
                        output_printf("%s Nothing to do.\n", *l);
                return cmd_report_undo(u, o->json, EXIT_OK);
        }
        print_plan(&s);
        if (o->dry_run)
                return cmd_report_undo(u, o->json, EXIT_OK);
        /* Not a prompt: what the rollback leaves behind needs reading, and
         * for an interrupted move finishing it is the other way out. */
        /* --resolved writes only the journal, after its checks: no
         * confirmation. */
        if (!o->yes && s.kind == UNDO_FINISH)
                return cmd_fail(EXIT_REFUSED, 0,
                                "Finishing the rollback needs --yes. Once Docker was put back by hand instead, "
                                "'docker-relocate rollback --resolved' checks it and closes the record.");
        if (!o->yes && s.kind == UNDO_ABANDON)
                return cmd_fail(
                        EXIT_REFUSED, 0,
                        "Abandoning the interrupted move needs --yes. Or run 'docker-relocate move' again with "
                        "the same target to finish it instead.");
        if (!o->yes && s.kind == UNDO_ROLLBACK)
                return cmd_fail(EXIT_REFUSED, 0,
                                "Rolling back needs --yes: data written since the move stays behind on %s.",
                                s.new_root);

        /* Stopped halfway, a rollback would leave Docker down. */
        r = interrupt_watch("the rollback goes on to its end, so that Docker runs again; wait for it.");
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Cannot take over SIGINT and SIGTERM for the rollback: %m");
        r = undo_execute(u);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "The rollback failed: %m");
        undo_summary(u, &s);
        STRV_FOREACH(w, s.warnings)
                log_warning("%s", *w);
        if (r == UNDO_RESOLVED) {
                output_printf("The record is closed as '%s'; moves can run again.\n", s.resolved_as);
                return cmd_report_undo(u, o->json, EXIT_OK);
        }
        if (r != UNDO_ROLLED_BACK) {
                int status = r == UNDO_FAILED ? EXIT_FAIL : EXIT_NEEDS_HUMAN;

                (void) cmd_fail(status, 0, "%s", strna(s.error));
                if (s.advice)
                        log_error("%s", s.advice);
                return cmd_report_undo(u, o->json, status);
        }
        if (s.kind == UNDO_FINISH)
                output_printf("The rollback is finished: Docker runs on %s with the configuration as before the "
                              "move. %s still holds a partial copy; delete it when sure.\n",
                              s.old_root, s.new_root);
        else if (s.kind == UNDO_ABANDON)
                output_printf("The interrupted move was abandoned: Docker runs on %s with the configuration as before "
                              "it. %s still holds a partial copy; delete it when sure.\n",
                              s.old_root, s.new_root);
        else
                output_printf("Docker runs on %s again. %s still holds the moved copy; delete it when sure.\n",
                              s.old_root, s.new_root);
        return cmd_report_undo(u, o->json, EXIT_OK);
}
