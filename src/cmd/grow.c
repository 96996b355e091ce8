/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cmd/cmd.h"
#include "output/output.h"
#include "util/log.h"

int verb_grow(const Options *o) {
        log_error("'grow' is not implemented yet.");
        return EXIT_FAIL;
}
