/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "move/undo.h"
#include "output/output.h"
#include "util/interrupt.h"
#include "util/path.h"
#include "util/strv.h"

int verb_cleanup(const Options *o) {
        _cleanup_(undo_freep) Undo *u = NULL;
        _cleanup_free_ char *error = NULL, *question = NULL;
        UndoSummary s;
        int r;

        r = undo_plan(UNDO_CLEANUP, &u, &error);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "%s", error ?: "Failed to plan the cleanup: %m");
        undo_summary(u, &s);
        if (r == UNDO_REFUSED) {
                (void) cmd_fail(EXIT_REFUSED, 0, "%s", s.error);
                return cmd_report_undo(u, o->json, EXIT_REFUSED);
        }
        if (r == UNDO_UNCHANGED) {
                if (s.plan)
                        STRV_FOREACH(l, s.plan)
                                output_printf("%s Nothing to do.\n", *l);
                else
                        output_printf("The old data root %s is already gone.\n", s.old_root);
                if (!o->dry_run && undo_execute(u) < 0)
                        return cmd_oom();
                return cmd_report_undo(u, o->json, EXIT_OK);
        }
        STRV_FOREACH(l, s.plan)
                output_printf("%s\n", *l);
        if (o->dry_run)
                return cmd_report_undo(u, o->json, EXIT_OK);

        if (asprintf(&question, "Delete %s?", s.old_root) < 0)
                return cmd_oom();
        r = cmd_confirm(o->yes, question);
        if (r == -ENOTTY)
                return cmd_fail(EXIT_REFUSED, 0, "Not on a terminal: pass --yes to remove %s.", s.old_root);
        if (r == 0)
                return cmd_fail(EXIT_REFUSED, 0, "Not confirmed; nothing was removed.");

        /* Half a data root is of no use to anyone: the removal goes on. */
        r = interrupt_watch("the removal of the old data root goes on to its end; wait for it.");
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "Cannot take over SIGINT and SIGTERM for the cleanup: %m");
        r = undo_execute(u);
        if (r < 0)
                return cmd_fail(EXIT_FAIL, r, "The cleanup failed: %m");
        undo_summary(u, &s);
        if (r != UNDO_CLEANED) {
                (void) cmd_fail(EXIT_FAIL, 0, "%s", strna(s.error));
                return cmd_report_undo(u, o->json, EXIT_FAIL);
        }
        output_printf("Removed %s.\n", s.old_root);
        return cmd_report_undo(u, o->json, EXIT_OK);
}
