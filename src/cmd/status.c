/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/cmd.h"
#include "output/output.h"
#include "util/log.h"

int verb_status(const Options *o) {
        log_error("'status' is not implemented yet.");
        return EXIT_FAIL;
}
