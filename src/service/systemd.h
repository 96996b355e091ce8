/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "service/service.h"

/* The systemd backend of service.h, over the system bus. ret_error as there. */
int systemd_stop_units(char *const *units, unsigned timeout_ms, char **ret_error);
int systemd_start_units(char *const *units, unsigned timeout_ms, char **ret_error);
int systemd_reload(unsigned timeout_ms, char **ret_error);
int systemd_unit_state(const char *unit, ServiceState *ret);
