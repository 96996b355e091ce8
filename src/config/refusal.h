/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/macro.h"

/* Formats the reason a plan is refused into *ret and returns -ECANCELED
 * (-ENOMEM when it cannot): "return config_refuse(ret_refusal, ...)". */
int config_refuse(char **ret, const char *format, ...) _printf_(2, 3);
