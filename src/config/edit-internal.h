/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The insides of edit_plan_set_data_root(), shared by its files and nobody
 * else: the plan, the JSON file and the checks of what will be written
 * (edit.c), and the data-root flags rewritten where the command line is
 * written (edit-flags.c). Applying a plan (edit-apply.c) needs only
 * config/edit.h. */

#include "config/edit.h"

/* edit.c: the plan's own bookkeeping */
/* Records that the last edit's file is reached as named (through a symlink). */
int edit_plan_set_named(EditPlan *p, const char *path, const char *named);

/* edit-flags.c: the data root set by flags */
/* Adds to p every file that writes a data-root or graph flag of c's command
 * line, each flag rewritten as --data-root new_root; sets p->place and notes. A
 * flag that cannot be rewritten in place returns -ECANCELED with the reason
 * in *ret_refusal. */
int edit_plan_flags(const DockerConfig *c, const char *new_root, EditPlan *p, char **ret_refusal);
