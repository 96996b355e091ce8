/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/macro.h"

/* Fault injection, for the tests only. Compiled in with
 * "meson setup -Dfault_injection=true"; in any other build (every installed
 * or packaged one) each hook below is an empty inline function: the
 * environment is never read and no test can make the binary misbehave.
 *
 * DOCKER_RELOCATE_TEST_CRASH=POINT[:ACTION]
 *   At the crash point POINT (test_hook_crash()) the process
 *     kill  (the default) kills itself with SIGKILL, as a power cut or the
 *           OOM killer would end it: nothing flushed, nothing cleaned up;
 *     exit  exits with status 1 at once (stdio flushed, no exit handlers);
 *     stop  stops itself with SIGSTOP, so that the test can change the world
 *           (grow the data, kill the daemon, hide a program) and send
 *           SIGCONT.
 *   Every point is announced on stderr as "DOCKER_RELOCATE_TEST_CRASH=POINT:
 *   ...". Without the variable, or with another point in it, nothing.
 *
 * DOCKER_RELOCATE_TEST_FAIL=POINT:ERRNO
 *   test_hook_fail(POINT) returns -ERRNO (a name such as ENOSPC or EIO, or a
 *   number), and the caller fails there as if the system had said so. The
 *   points:
 *     prepare-read         reading the node to format (the new partition)
 *     prepare-record       recording the new filesystem in disks.json
 *     prepare-mount-point  making the guarded mount point
 *     prepare-mount        mounting the volume
 *     prepare-fstab        writing /etc/fstab
 *     grow-fs              growing the filesystem (after its partition)
 *     grow-size            reading the grown filesystem's size
 *     copy-live, copy-final, copy-tmp-name   the copy (copy/)
 *     sync-live, sync-final                  the sync after each pass
 *     tracker-start        starting the change tracker
 *
 * DOCKER_RELOCATE_TEST_COPY_STALL=SECONDS
 *   The copy's stall limit (copy/watch.h), ten minutes otherwise, so that a
 *   test can stop rsync and see the move give up and roll back.
 * DOCKER_RELOCATE_TEST_COPY_DEVICE=FILE
 *   The copy watch takes FILE for the target's block device node in sysfs:
 *   removing it is the device going away under the copy (a loop device
 *   cannot be removed while it is mounted).
 * DOCKER_RELOCATE_TEST_TRACKER_UNREAD=1
 *   The move's change tracker reads its queue only at the end
 *   (COPY_TRACKER_NO_THREAD, copy/tracker.h), so that a test that changes
 *   enough files meanwhile makes the kernel's queue overflow and the record
 *   incomplete.
 * DOCKER_RELOCATE_TEST_SELINUXFS=DIR
 *   SELinux detection (config/selinux.h) takes DIR for the selinuxfs mount
 *   point, so that a test on a host without SELinux can make the move see
 *   an enabled one (DIR/enforce holding 0 or 1). */
#define TEST_CRASH_ENV "DOCKER_RELOCATE_TEST_CRASH"
#define TEST_FAIL_ENV "DOCKER_RELOCATE_TEST_FAIL"
#define TEST_PAUSE_ENV "DOCKER_RELOCATE_TEST_PAUSE"
#define TEST_COPY_STALL_ENV "DOCKER_RELOCATE_TEST_COPY_STALL"
#define TEST_COPY_DEVICE_ENV "DOCKER_RELOCATE_TEST_COPY_DEVICE"
#define TEST_TRACKER_UNREAD_ENV "DOCKER_RELOCATE_TEST_TRACKER_UNREAD"
#define TEST_SELINUXFS_ENV "DOCKER_RELOCATE_TEST_SELINUXFS"

#if FAULT_INJECTION
void test_hook_crash(const char *format, ...) _printf_(1, 2);
int test_hook_fail(const char *point);
/* DOCKER_RELOCATE_TEST_PAUSE=POINT:FILE
 *   test_hook_pause(POINT) creates FILE and waits (at most 120 s) until
 *   the test removes it, so that the test can change the world between
 *   two steps (swap a device between its check and its first write).
 *   The points: each move step's crash point (steps.c), planned (the
 *   move's plan made), prepare-checked (prepare's
 *   device checked), copy-source-ended (a file's read ended before its
 *   size: the test rewrites it; one file in the tree, as each call
 *   waits). */
void test_hook_pause(const char *point);
/* The value of one of the variables above, NULL when unset or empty. */
const char *test_hook_value(const char *name);
#else
static inline _printf_(1, 2) void test_hook_crash(const char *format, ...) {
}
static inline int test_hook_fail(const char *point) {
        return 0;
}
static inline void test_hook_pause(const char *point) {
}
static inline const char *test_hook_value(const char *name) {
        return NULL;
}
#endif
