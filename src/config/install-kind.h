/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The Dockers a host runs that are not the system's package under root's
 * init system: Docker from the snap (snapd owns its service, its data root
 * and the copy of its configuration it reads), and rootless Docker (a user's
 * dockerd-rootless.sh under that user's systemd). This program does not
 * stop, copy or reconfigure them; it recognises them, from their files
 * only, so that status says what the host has and move and set-data-root
 * refuse with the steps that do the job by hand. */

typedef enum InstallKind {
        INSTALL_NONE,     /* no Docker found */
        INSTALL_SYSTEM,   /* docker.service or an init script under root */
        INSTALL_SNAP,     /* the docker snap */
        INSTALL_ROOTLESS, /* a user's rootless Docker */
} InstallKind;

const char *install_kind_to_string(InstallKind k);

#define SNAP_DOCKER_SERVICE "snap.docker.dockerd.service"
#define SNAP_DOCKER_UNIT "/etc/systemd/system/" SNAP_DOCKER_SERVICE
#define SNAP_DOCKER_CURRENT "/snap/docker/current"
#define SNAP_DOCKER_WRAPPER SNAP_DOCKER_CURRENT "/bin/dockerd-wrapper"
#define SNAP_DOCKER_CONFIG "/var/snap/docker/current/config/daemon.json"
#define SNAP_DOCKER_DEFAULT_DATA_ROOT "/var/snap/docker/common/var-lib-docker"
#define SNAPD_STATE "/var/lib/snapd/state.json"

typedef struct DockerInstall {
        InstallKind kind;
        char *user;             /* rootless: the user who runs it */
        char *home;             /* rootless: that user's home */
        unsigned uid;           /* rootless */
        char *service;          /* the unit file that starts its dockerd */
        char *config_file;      /* the daemon.json its dockerd reads */
        bool config_exists;
        char *data_root;
        char *data_root_source; /* the file that sets it, "snap option data-root" or "default" */
        bool data_root_flag;    /* set on dockerd's command line (in service), not in config_file */
        bool snap_option;       /* snap: the revision takes its data root from "snap set docker data-root=" */
        char *socket;
} DockerInstall;

typedef struct DockerInstalls {
        DockerInstall *items; /* the snap first, then rootless Docker in /etc/passwd order */
        size_t n;
        char **warnings;      /* what stops one of them from starting */
} DockerInstalls;

void docker_installs_done(DockerInstalls *is);

/* Finds the snap and every user's rootless Docker under root (NULL: the
 * running host), from files only: the snap's unit and revision, snapd's
 * state for the snap's options, the users of /etc/passwd and their user
 * units. Nothing found is no error; errors are OOM. */
int docker_installs_detect(const char *root, DockerInstalls *ret);

const DockerInstall *docker_installs_find(const DockerInstalls *is, InstallKind kind);

/* The kind of Docker that move and set-data-root would act on: the snap
 * whenever it is installed (it serves the system's socket), else the
 * system's Docker (system: a unit or init script that starts dockerd was
 * found), else rootless Docker. */
InstallKind docker_installs_kind(const DockerInstalls *is, bool system);

/* Why this program refuses to move or reconfigure a host of that kind,
 * with the steps that do it by hand: -ECANCELED with *ret_refusal, or 0 for
 * the system's Docker (and none). new_root is the data root wanted (NULL:
 * a placeholder); first_step (may be NULL) is a step that comes before
 * them, such as preparing the volume. system_service names the system's
 * Docker when the snap is installed beside it. */
int docker_installs_refusal(const DockerInstalls *is, InstallKind kind, const char *system_service,
                            const char *new_root, const char *first_step, char **ret_refusal);
