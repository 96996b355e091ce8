/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/cmd.h"
#include "output/output.h"
#include "util/log.h"

int verb_move(const Options *o) {
        log_error("'move' is not implemented yet.");
        return EXIT_FAIL;
}

int verb_rollback(const Options *o) {
        log_error("'rollback' is not implemented yet.");
        return EXIT_FAIL;
}

int verb_cleanup(const Options *o) {
        log_error("'cleanup' is not implemented yet.");
        return EXIT_FAIL;
}
