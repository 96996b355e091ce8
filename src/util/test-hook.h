/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/macro.h"

/* Test hook, for the crash tests only: when the environment variable
 * DOCKER_RELOCATE_TEST_CRASH names this point, the process kills itself with
 * SIGKILL right here, as a power cut or the OOM killer would end it, so that a
 * test can check what the next run makes of the state left behind. Without
 * the variable (or with another point in it) this does nothing. */
#define TEST_CRASH_ENV "DOCKER_RELOCATE_TEST_CRASH"

void test_hook_crash(const char *format, ...) _printf_(1, 2);

/* Test hook, for the root tests only: when DOCKER_RELOCATE_TEST_PAUSE is
 * "<point>:<file>" and names this point, the process creates <file> and
 * waits (at most 120 s) until the test removes it, so that the test can
 * change the world between two steps (swap a device between its check and
 * its first write). Without the variable this does nothing. */
#define TEST_PAUSE_ENV "DOCKER_RELOCATE_TEST_PAUSE"

void test_hook_pause(const char *point);
