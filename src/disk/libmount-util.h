/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libmount.h>

#include "util/macro.h"

/* Cleanup helpers for libmount objects. */
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_fs *, mnt_unref_fs);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_context *, mnt_free_context);
