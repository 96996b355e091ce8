/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

typedef enum InitSystem {
        INIT_UNKNOWN,
        INIT_SYSTEMD,
        INIT_SYSV,
        INIT_OPENRC,
        INIT_UPSTART,
} InitSystem;

const char *init_system_to_string(InitSystem i);

/* Which init system manages docker under root: on the running host from what
 * runs (/run/systemd/system, OpenRC's /run/openrc, upstart's initctl); on an
 * offline tree (--root) from the files that would start dockerd. */
InitSystem detect_init_system(const char *root);
