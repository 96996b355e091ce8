/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the copy module's files share and nobody else needs. */

/* Makes sure dst is ours to copy into (missing, empty but for lost+found, or
 * marked as a copy of src) and marks it so; -ENOTEMPTY, with a sentence in
 * *ret_message, for anything else. See copy_tree() in copy.h. */
int copy_claim_target(const char *src, const char *dst, char **ret_message);
