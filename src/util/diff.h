/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A unified diff of old → new for the file called path (old NULL: a new
 * file, new NULL: a removed one), as `diff -u` prints it. */
int unified_diff(const char *path, const char *old, const char *new, char **ret);
