/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/daemon-json.h"
#include "config/dockerd-flags.h"
#include "config/install-kind.h"
#include "config/refusal.h"
#include "config/unit.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/string-table.h"
#include "util/strv.h"

static const char *const install_kind_table[] = {
        [INSTALL_NONE] = "none",
        [INSTALL_SYSTEM] = "system",
        [INSTALL_SNAP] = "snap",
        [INSTALL_ROOTLESS] = "rootless",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(install_kind, InstallKind);

/* Where the data root is written in the steps when the caller has none yet. */
#define NEW_ROOT_PLACEHOLDER "NEW_DATA_ROOT"

static void docker_install_done(DockerInstall *i) {
        free(i->user);
        free(i->home);
        free(i->service);
        free(i->config_file);
        free(i->data_root);
        free(i->data_root_source);
        free(i->socket);
        *i = (DockerInstall){};
}

void docker_installs_done(DockerInstalls *is) {
        if (!is)
                return;
        for (size_t i = 0; i < is->n; i++)
                docker_install_done(&is->items[i]);
        free(is->items);
        strv_free(is->warnings);
        *is = (DockerInstalls){};
}

static int installs_add(DockerInstalls *is, DockerInstall *i) {
        DockerInstall *n = reallocarray(is->items, is->n + 1, sizeof(DockerInstall));

        if (!n)
                return -ENOMEM;
        is->items = n;
        is->items[is->n++] = *i;
        *i = (DockerInstall){};
        return 0;
}

static bool exists_in(const char *root, const char *path) {
        _cleanup_free_ char *p = root_path(root, path);
        return p && file_exists(p);
}

static int read_in(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *p = root_path(root, path);

        if (!p)
                return -ENOMEM;
        return read_full_file(p, 0, ret, NULL);
}

/* The data-root a daemon.json sets: 1 with *ret (NULL when it sets none),
 * 0 when the file does not exist, -EBADMSG when dockerd could not read it. */
static int json_data_root(const char *root, const char *path, char **ret) {
        _cleanup_(daemon_json_done) DaemonJson j = {};
        _cleanup_free_ char *text = NULL;
        unsigned line, column;
        int r;

        r = read_in(root, path, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        r = daemon_json_parse(text, strlen(text), &j, &line, &column);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return -EBADMSG;
        *ret = daemon_json_get_string(&j, "data-root") ?: daemon_json_get_string(&j, "graph");
        return 1;
}

/* snapd keeps the options of every snap in its state, under
 * data.config.<snap>: what "snap get docker data-root" prints. */
static char *snap_option(const char *root, const char *snap, const char *key) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ cJSON *state = NULL;
        const cJSON *data, *config;

        if (read_in(root, SNAPD_STATE, &text) < 0)
                return NULL;
        state = cJSON_Parse(text);
        data = cJSON_GetObjectItemCaseSensitive(state, "data");
        config = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(data, "config"), snap);
        return json_get_string(config, key) ? strdup(json_get_string(config, key)) : NULL;
}

static int detect_snap(const char *root, DockerInstalls *is) {
        _cleanup_(docker_install_done) DockerInstall i = { .kind = INSTALL_SNAP };
        _cleanup_free_ char *wrapper = NULL, *option = NULL, *in_json = NULL;
        int r;

        if (!exists_in(root, SNAP_DOCKER_UNIT) && !exists_in(root, SNAP_DOCKER_CURRENT))
                return 0;

        /* Every revision of the snap gives dockerd its data root on the
         * command line; since early 2025 its wrapper reads it from the
         * snap's option data-root, before that it was fixed. */
        i.snap_option = read_in(root, SNAP_DOCKER_WRAPPER, &wrapper) < 0 || strstr(wrapper, "snapctl get data-root");
        if (i.snap_option)
                option = snap_option(root, "docker", "data-root");
        i.data_root = strdup(option ?: SNAP_DOCKER_DEFAULT_DATA_ROOT);
        i.data_root_source = strdup(option ? "snap option data-root" : "default");
        i.data_root_flag = true;
        i.service = strdup(SNAP_DOCKER_UNIT);
        i.config_file = strdup(SNAP_DOCKER_CONFIG);
        i.socket = strdup("/var/run/docker.sock");
        if (!i.data_root || !i.data_root_source || !i.service || !i.config_file || !i.socket)
                return -ENOMEM;

        r = json_data_root(root, SNAP_DOCKER_CONFIG, &in_json);
        if (r == -ENOMEM)
                return r;
        i.config_exists = r != 0;
        if (r == -EBADMSG)
                r = strv_extendf(&is->warnings, "%s is not valid JSON: the snap's dockerd does not start.",
                                 SNAP_DOCKER_CONFIG);
        else if (in_json)
                r = strv_extendf(&is->warnings,
                                 "%s sets data-root (%s), which the snap's dockerd also gets on its command line: "
                                 "dockerd refuses to start. Remove it there%s.",
                                 SNAP_DOCKER_CONFIG, in_json,
                                 i.snap_option ? " and use 'snap set docker data-root=DIR'" : "");
        if (r < 0)
                return r;
        return installs_add(is, &i);
}

/* The effective dockerd flags of a user unit: its last ExecStart=, split
 * and expanded the way systemd would. 0 with an empty *ret when the unit
 * does not run dockerd-rootless. */
static int user_unit_flags(SourceSet *s, const char *unit, WordList *ret_argv, DockerFlags *ret) {
        _cleanup_(unit_info_done) UnitInfo u = {};
        _cleanup_strv_free_ char **problems = NULL;
        _cleanup_(word_list_done) WordList argv = {};
        uint32_t id;
        int r;

        r = source_set_load(s, unit, &id);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        r = unit_parse_file(&u, s, id);
        if (r < 0)
                return r;
        if (u.n_exec == 0)
                return 0;
        r = unit_exec_to_words(&u.exec[u.n_exec - 1], "docker.service", &u.environment, &argv, &problems);
        if (r < 0)
                return r;
        if (argv.n == 0 || !strstr(path_basename(argv.words[0].text), "dockerd-rootless"))
                return 0;
        r = docker_flags_parse(&argv, ret);
        if (r < 0)
                return r;
        *ret_argv = argv;
        argv = (WordList){};
        return 1;
}

static int detect_rootless_user(const char *root, const struct passwd *pw, DockerInstalls *is) {
        _cleanup_(docker_install_done) DockerInstall i = { .kind = INSTALL_ROOTLESS, .uid = pw->pw_uid };
        _cleanup_(source_set_done) SourceSet s = { .root = root };
        _cleanup_(word_list_done) WordList argv = {};
        _cleanup_(docker_flags_done) DockerFlags flags = {};
        _cleanup_free_ char *in_json = NULL;
        const DockerFlag *f;
        int r;

        if (!path_is_absolute(pw->pw_dir) || streq(pw->pw_dir, "/"))
                return 0;
        i.service = path_join(pw->pw_dir, ".config/systemd/user/docker.service");
        if (!i.service)
                return -ENOMEM;
        r = user_unit_flags(&s, i.service, &argv, &flags);
        if (r <= 0)
                return r;

        /* dockerd-rootless.sh hands its arguments to dockerd, which as an
         * unprivileged user reads the XDG places of its user. */
        f = docker_flags_get(&flags, "config-file");
        i.config_file = f && f->value ? strdup(f->value) : path_join(pw->pw_dir, ".config/docker/daemon.json");
        i.user = strdup(pw->pw_name);
        i.home = strdup(pw->pw_dir);
        if (asprintf(&i.socket, "/run/user/%u/docker.sock", (unsigned) pw->pw_uid) < 0)
                i.socket = NULL;
        if (!i.config_file || !i.user || !i.home || !i.socket)
                return -ENOMEM;

        r = json_data_root(root, i.config_file, &in_json);
        if (r == -ENOMEM)
                return r;
        i.config_exists = r != 0;
        if (r == -EBADMSG)
                r = strv_extendf(&is->warnings, "%s is not valid JSON: the rootless Docker of %s does not start.",
                                 i.config_file, pw->pw_name);
        if (r < 0)
                return r;

        f = docker_flags_get(&flags, "data-root") ?: docker_flags_get(&flags, "graph");
        if (f && f->value) {
                i.data_root = strdup(f->value);
                i.data_root_source = strdup(i.service);
                i.data_root_flag = true;
        } else if (in_json) {
                i.data_root = TAKE_PTR(in_json);
                i.data_root_source = strdup(i.config_file);
        } else {
                i.data_root = path_join(pw->pw_dir, ".local/share/docker");
                i.data_root_source = strdup("default");
        }
        if (!i.data_root || !i.data_root_source)
                return -ENOMEM;
        return installs_add(is, &i);
}

static int detect_rootless(const char *root, DockerInstalls *is) {
        _cleanup_free_ char *p = root_path(root, "/etc/passwd");
        _cleanup_fclose_ FILE *f = NULL;
        struct passwd *pw;
        int r;

        if (!p)
                return -ENOMEM;
        f = fopen(p, "re");
        if (!f)
                return 0;
        while ((pw = fgetpwent(f))) {
                /* Rootless Docker is a user's own; root runs the system's. */
                if (pw->pw_uid == 0)
                        continue;
                r = detect_rootless_user(root, pw, is);
                if (r < 0)
                        return r;
        }
        return 0;
}

int docker_installs_detect(const char *root, DockerInstalls *ret) {
        DockerInstalls is = {};
        int r;

        r = detect_snap(root, &is);
        if (r >= 0)
                r = detect_rootless(root, &is);
        if (r < 0) {
                docker_installs_done(&is);
                return r;
        }
        *ret = is;
        return 0;
}

const DockerInstall *docker_installs_find(const DockerInstalls *is, InstallKind kind) {
        for (size_t i = 0; i < is->n; i++)
                if (is->items[i].kind == kind)
                        return &is->items[i];
        return NULL;
}

InstallKind docker_installs_kind(const DockerInstalls *is, bool system) {
        if (docker_installs_find(is, INSTALL_SNAP))
                return INSTALL_SNAP;
        if (system)
                return INSTALL_SYSTEM;
        if (docker_installs_find(is, INSTALL_ROOTLESS))
                return INSTALL_ROOTLESS;
        return INSTALL_NONE;
}

static void steps_snap(FILE *f, const DockerInstall *i, const char *new_root, unsigned *n) {
        if (!i->snap_option)
                fprintf(f, " %u) snap refresh docker (this revision fixes the data root in its dockerd-wrapper; "
                           "later ones read the option data-root);", (*n)++);
        fprintf(f, " %u) snap stop docker;", (*n)++);
        fprintf(f, " %u) rsync -aHAXS --numeric-ids %s/ %s/;", (*n)++, i->data_root, new_root);
        fprintf(f, " %u) snap connect docker:removable-media (the snap's dockerd writes only below /mnt, /media, "
                   "home directories and /var/snap/docker);", (*n)++);
        fprintf(f, " %u) snap set docker data-root=%s (not data-root in %s: the snap's dockerd gets its data root "
                   "on the command line, and dockerd refuses to start when both set it);",
                (*n)++, new_root, i->config_file);
        fprintf(f, " %u) snap start docker;", (*n)++);
        fprintf(f, " %u) docker info shows Docker Root Dir: %s; then remove %s.", (*n)++, new_root, i->data_root);
}

static void steps_rootless(FILE *f, const DockerInstall *i, const char *new_root, unsigned *n) {
        fprintf(f, " %u) as %s: systemctl --user stop docker;", (*n)++, i->user);
        /* The user's containers own files under the user's subordinate
         * ids, which only root can copy as they are. */
        fprintf(f, " %u) as root: rsync -aHAXS --numeric-ids %s/ %s/;", (*n)++, i->data_root, new_root);
        if (i->data_root_flag)
                fprintf(f, " %u) change --data-root to %s in %s, then as %s: systemctl --user daemon-reload;",
                        (*n)++, new_root, i->service, i->user);
        else
                fprintf(f, " %u) set \"data-root\": \"%s\" in %s;", (*n)++, new_root, i->config_file);
        fprintf(f, " %u) as %s: systemctl --user start docker;", (*n)++, i->user);
        fprintf(f, " %u) as %s, docker info shows Docker Root Dir: %s; then remove %s.", (*n)++, i->user, new_root,
                i->data_root);
}

int docker_installs_refusal(const DockerInstalls *is, InstallKind kind, const char *system_service,
                            const char *new_root, const char *first_step, char **ret_refusal) {
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        const DockerInstall *snap = docker_installs_find(is, INSTALL_SNAP);
        size_t size, users = 0;
        unsigned n = 1;

        if (kind != INSTALL_SNAP && kind != INSTALL_ROOTLESS)
                return 0;
        new_root = new_root ?: NEW_ROOT_PLACEHOLDER;
        for (size_t k = 0; k < is->n; k++)
                users += is->items[k].kind == INSTALL_ROOTLESS;

        if (kind == INSTALL_SNAP && system_service)
                return config_refuse(ret_refusal,
                                     "Docker is installed twice: from the snap (%s) and by the system (%s). Both "
                                     "serve /var/run/docker.sock, so which one a move would stop, copy and verify "
                                     "cannot be told. Remove the one not in use ('snap remove docker', or the "
                                     "system's package), then run this again.",
                                     snap->service, system_service);

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        if (kind == INSTALL_SNAP)
                fprintf(f,
                        "Docker here is the snap (%s, data root %s, set by %s): snapd owns its service, its "
                        "configuration and its data root, and this program changes none of them. Move it by hand:",
                        snap->service, snap->data_root, snap->data_root_source);
        else
                fprintf(f,
                        "Docker here is rootless Docker, run by its user under the user's own systemd, and this "
                        "program changes none of it. Move each by hand:");
        if (first_step)
                fprintf(f, " %u) %s;", n++, first_step);
        for (size_t k = 0; k < is->n; k++) {
                const DockerInstall *i = &is->items[k];

                if (i->kind != kind)
                        continue;
                if (kind == INSTALL_SNAP) {
                        steps_snap(f, i, new_root, &n);
                        break;
                }
                fprintf(f, " For user %s (%s, data root %s, set by %s, socket %s):", i->user, i->service,
                        i->data_root, i->data_root_source, i->socket);
                /* Two users' data roots cannot be one directory. */
                if (users > 1) {
                        _cleanup_free_ char *own = path_join(new_root, i->user);
                        if (!own)
                                return -ENOMEM;
                        steps_rootless(f, i, own, &n);
                } else
                        steps_rootless(f, i, new_root, &n);
        }
        /* The text is complete only once the stream is closed. */
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        return config_refuse(ret_refusal, "%s", text);
}
