/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "move/undo.h"
#include "output/output.h"
#include "util/log.h"
#include "util/path.h"
#include "util/strv.h"

static void print_plan(const UndoSummary *s) {
        if (s->kind == UNDO_ABANDON)
                output_printf("Abandon the interrupted move to %s (it reached '%s'): back to the host as it was "
                              "before it.\n",
                              s->new_root, s->interrupted_at);
        else
                output_printf("Roll back:\n");
        STRV_FOREACH(l, s->plan)
                output_printf("  %s\n", *l);
        if (s->kind == UNDO_ABANDON)
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

        r = undo_plan(UNDO_ROLLBACK, &u, &error);
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
        if (!o->yes && s.kind == UNDO_ABANDON)
                return cmd_fail(
                        EXIT_REFUSED, 0,
                        "Abandoning the interrupted move needs --yes. Or run 'docker-relocate move' again with "
                        "the same target to finish it instead.");
        if (!o->yes)
                return cmd_fail(EXIT_REFUSED, 0,
                                "Rolling back needs --yes: data written since the move stays behind on %s.",
                                s.new_root);

        r = undo_execute(u);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "The rollback failed: %m");
        undo_summary(u, &s);
        STRV_FOREACH(w, s.warnings)
                log_warning("%s", *w);
        if (r != UNDO_ROLLED_BACK) {
                (void) cmd_fail(EXIT_NEEDS_HUMAN, 0, "%s", strna(s.error));
                if (s.advice)
                        log_error("%s", s.advice);
                return cmd_report_undo(u, o->json, EXIT_NEEDS_HUMAN);
        }
        if (s.kind == UNDO_ABANDON)
                output_printf("The interrupted move was abandoned: Docker runs on %s with the configuration as before "
                              "it. %s still holds a partial copy; delete it when sure.\n",
                              s.old_root, s.new_root);
        else
                output_printf("Docker runs on %s again. %s still holds the moved copy; delete it when sure.\n",
                              s.old_root, s.new_root);
        return cmd_report_undo(u, o->json, EXIT_OK);
}
