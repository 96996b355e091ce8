/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/docker-config-internal.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/string-table.h"
#include "util/strv.h"

const char *const docker_script_vars[] = {
        "DOCKER_OPTS", "OPTIONS", "other_args", "DOCKER_OPTIONS", "DOCKER_STORAGE_OPTIONS",
        "DOCKER_NETWORK_OPTIONS", "DOCKER_ADD_RUNTIMES", NULL,
};

const char *const openrc_name_vars[] = { "RC_SVCNAME", "SVCNAME", NULL };

/* Where distributions keep them. */
static const char *const env_file_candidates[] = {
        "/etc/default/docker",
        "/etc/sysconfig/docker",
        "/etc/conf.d/docker",
        NULL,
};

static const char *const data_root_via_table[] = {
        [DATA_ROOT_DEFAULT] = "default",
        [DATA_ROOT_DAEMON_JSON] = "daemon.json",
        [DATA_ROOT_FLAG] = "flag",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(data_root_via, DataRootVia);

void docker_config_done(DockerConfig *c) {
        source_set_done(&c->sources);
        free(c->service_file);
        strv_free(c->dropins);
        free(c->exec_file);
        unit_info_done(&c->unit);
        env_done(&c->env);
        strv_free(c->env_files);
        word_list_done(&c->argv);
        docker_flags_done(&c->flags);
        free(c->json_path);
        free(c->json_path_named);
        daemon_json_done(&c->json);
        free(c->json_error);
        free(c->data_root);
        free(c->data_root_source);
        free(c->data_root_resolved);
        free(c->storage_driver);
        free(c->socket);
        strv_free(c->bus_exec_start);
        env_done(&c->script_env);
        docker_installs_done(&c->installs);
        strv_free(c->conflicts);
        strv_free(c->warnings);
        strv_free(c->unprovable);
        *c = (DockerConfig){};
}

static const char *word_file(const DockerConfig *c, size_t idx) {
        const Word *w = &c->argv.words[idx];
        if (w->src != TEXT_NO_SOURCE && w->src < c->sources.n)
                return c->sources.files[w->src].path;
        /* A word with quotes inside is still written in one file: the one
         * its first character that is not a variable's value comes from. */
        for (size_t i = 0; i < w->chars.len; i++)
                if (w->chars.src[i] < c->sources.n && !(w->chars.flags[i] & TEXT_EXPANDED))
                        return c->sources.files[w->chars.src[i]].path;
        return c->exec_file ?: "the command line";
}

/* Where a flag's value is written: the file of the value's word. */
static const char *flag_file(const DockerConfig *c, const DockerFlag *f) {
        return word_file(c, f->value_word);
}

static int load_json(DockerConfig *c) {
        const DockerFlag *cf = docker_flags_get(&c->flags, "config-file");
        SourceFile *f;
        unsigned line = 0, col = 0;
        uint32_t id;
        int r;

        if (cf && cf->value) {
                _cleanup_free_ char *abs = NULL;

                if (!path_is_absolute(cf->value)) {
                        /* Both systemd and init scripts start dockerd in
                         * "/", which is what it resolves the path against. */
                        r = strv_extendf_unique(
                                &c->warnings,
                                "--config-file %s is a relative path; dockerd resolves it against its working "
                                "directory.",
                                cf->value);
                        if (r < 0)
                                return r;
                        if (asprintf(&abs, "/%s", cf->value) < 0)
                                return -ENOMEM;
                }
                c->json_path_from_flag = true;
                c->json_path_named = path_normalize(abs ?: cf->value);
        } else
                c->json_path_named = strdup(DOCKER_DEFAULT_CONFIG_FILE);
        if (!c->json_path_named)
                return -ENOMEM;
        r = chase_path(c->root, c->json_path_named, &c->json_path);
        if (r < 0)
                return r;

        r = source_set_load(&c->sources, c->json_path, &id);
        if (r == -ENOENT) {
                if (c->json_path_from_flag)
                        return strv_extendf_unique(
                                &c->conflicts,
                                "--config-file names %s, which does not exist: dockerd refuses to start.",
                                c->json_path);
                return 0;
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* It is there but cannot be used (a directory, a FIFO, too
                 * large, binary): it exists, is not valid, and is never
                 * replaced by a new file. */
                c->json_exists = true;
                r = source_load_error(&c->sources, c->json_path, r, &c->json_error);
                if (r < 0)
                        return r;
                r = strv_extendf_unique(&c->unprovable, "%s", c->json_error);
                if (r < 0)
                        return r;
                return strv_extendf_unique(&c->warnings, "%s", c->json_error);
        }
        c->json_exists = true;
        c->json_src = id;
        f = source_set_get(&c->sources, id);
        f->role = SOURCE_JSON;

        r = daemon_json_parse(f->content, f->size, &c->json, &line, &col);
        if (r == -EBADMSG || r == -EMEDIUMTYPE) {
                if (asprintf(&c->json_error, "%s:%u:%u: %s", c->json_path, line, col,
                             r == -EBADMSG ? "invalid JSON" : "the top level is not a JSON object") < 0)
                        return -ENOMEM;
                return strv_extendf_unique(&c->warnings, "%s; dockerd refuses to start with it.", c->json_error);
        }
        if (r < 0)
                return r;
        c->json_valid = true;
        return 0;
}

size_t docker_config_data_root_flags(const DockerConfig *c, const DockerFlag **ret, size_t max) {
        size_t n = 0;
        for (size_t i = 0; i < c->flags.n && n < max; i++)
                if (streq(c->flags.flags[i].name, "data-root") || streq(c->flags.flags[i].name, "graph"))
                        ret[n++] = &c->flags.flags[i];
        return n;
}

int docker_config_dockerd(const DockerConfig *c, char **ret) {
        const Text *prog = c->argv.n > 0 ? &c->argv.words[0].chars : NULL;

        *ret = NULL;
        /* A program whose name is not known here (a specifier) is no
         * file to ask. */
        if (!prog || text_find_flag(prog, 0, prog->len, TEXT_UNKNOWN) < prog->len)
                return 0;
        if (c->init == INIT_SYSTEMD)
                return c->unit.n_exec > 0 ? unit_exec_program(c->root, c->argv.words[0].text, ret) : 0;
        /* An init script's DOCKERD=: a bare name is looked up in the
         * script's PATH, not known here. */
        if (!path_is_absolute(c->argv.words[0].text))
                return 0;
        *ret = root_path(c->root, c->argv.words[0].text);
        return *ret ? 0 : -ENOMEM;
}

static int find_conflicts(DockerConfig *c) {
        int r;

        if (!c->json_valid)
                return 0;

        /* dockerd refuses to start when a setting is given both as a flag
         * and in the file. */
        for (size_t i = 0; i < c->flags.n; i++) {
                const DockerFlag *fl = &c->flags.flags[i];
                const char *key = docker_flag_json_key(fl->name);
                _cleanup_free_ char *jv = NULL;

                if (docker_flag_is_cli_only(fl->name) || !daemon_json_member(&c->json, key))
                        continue;
                /* Report each key once, from its last flag. */
                if (docker_flags_get(&c->flags, fl->name) != fl)
                        continue;
                jv = daemon_json_get_string(&c->json, key);
                r = strv_extendf_unique(
                        &c->conflicts,
                        "'%s' is set both as a flag (--%s%s%s in %s) and in %s%s%s%s: dockerd refuses to start.", key,
                        fl->name, fl->value ? " " : "", strempty(fl->value), flag_file(c, fl), c->json_path,
                        jv ? " (\"" : "", strempty(jv), jv ? "\")" : "");
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < c->json.n_members; i++) {
                const char *k = c->json.members[i].key;
                if (daemon_json_count(&c->json, k) > 1 && daemon_json_member(&c->json, k) == &c->json.members[i]) {
                        r = strv_extendf_unique(&c->warnings, "%s sets \"%s\" %zu times; dockerd uses the last one.",
                                                c->json_path, k, daemon_json_count(&c->json, k));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int resolve_data_root(DockerConfig *c) {
        const DockerFlag *fl_root = docker_flags_get(&c->flags, "data-root");
        const DockerFlag *fl_graph = docker_flags_get(&c->flags, "graph");
        _cleanup_free_ char *js_root = NULL, *js_graph = NULL;
        int r;

        if (c->json_valid) {
                js_root = daemon_json_get_string(&c->json, "data-root");
                js_graph = daemon_json_get_string(&c->json, "graph");
        }

        if ((fl_root || js_root) && (fl_graph || js_graph)) {
                r = strv_extendf_unique(
                        &c->conflicts,
                        "Both data-root (%s) and the removed graph option (%s) are set: dockerd refuses to start.",
                        fl_root ? flag_file(c, fl_root) : c->json_path,
                        fl_graph ? flag_file(c, fl_graph) : c->json_path);
                if (r < 0)
                        return r;
        }
        if (fl_graph || js_graph) {
                r = strv_extendf_unique(
                        &c->warnings,
                        "The graph option (%s) was removed in Docker Engine 23; it must become data-root.",
                        fl_graph ? flag_file(c, fl_graph) : c->json_path);
                if (r < 0)
                        return r;
        }

        /* The flag wins over the file when both are set (dockerd would not
         * start; this is what the command line asks for). */
        const DockerFlag *fl = fl_root ?: fl_graph;
        if (fl && fl->value) {
                c->data_root = strdup(fl->value);
                c->data_root_source = strdup(flag_file(c, fl));
                c->via = DATA_ROOT_FLAG;
        } else if (js_root || js_graph) {
                c->data_root = strdup(js_root ?: js_graph);
                c->data_root_source = strdup(c->json_path);
                c->via = DATA_ROOT_DAEMON_JSON;
        } else {
                c->data_root = strdup(DOCKER_DEFAULT_DATA_ROOT);
                c->data_root_source = strdup("default");
                c->via = DATA_ROOT_DEFAULT;
        }
        if (!c->data_root || !c->data_root_source)
                return -ENOMEM;

        if (!path_is_absolute(c->data_root))
                return strv_extendf_unique(&c->warnings, "The data root '%s' is not an absolute path.", c->data_root);

        r = chase_path(c->root, c->data_root, &c->data_root_resolved);
        if (r < 0)
                return r;
        _cleanup_free_ char *norm = path_normalize(c->data_root);
        if (!norm)
                return -ENOMEM;
        if (!streq(norm, c->data_root_resolved))
                return strv_extendf_unique(&c->warnings,
                                           "The data root %s is reached through a symlink: it really is %s.",
                                           c->data_root, c->data_root_resolved);
        return 0;
}

static int find_unread_env_files(DockerConfig *c) {
        int r;

        for (const char *const *p = env_file_candidates; *p; p++) {
                _cleanup_strv_free_ char **problems = NULL;
                SourceSet scratch_set = { .root = c->root };
                Env scratch = {};
                uint32_t id;

                if (strv_contains(c->env_files, *p))
                        continue;
                r = source_set_load(&scratch_set, *p, &id);
                if (r >= 0)
                        r = env_parse(&scratch, &scratch_set, id, ENV_SYNTAX_SHELL, &problems);
                if (r >= 0) {
                        for (const char *const *v = docker_script_vars; *v; v++) {
                                const EnvVar *e = env_get(&scratch, *v);
                                if (e && e->value.len > 0) {
                                        r = strv_extendf_unique(
                                                &c->warnings,
                                                "%s sets %s, but nothing that starts dockerd reads that file: "
                                                "its settings have no effect.",
                                                *p, *v);
                                        break;
                                }
                        }
                }
                env_done(&scratch);
                source_set_done(&scratch_set);
                /* Nothing reads it: a file that cannot be read (a
                 * directory, a FIFO) is no finding here. */
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static int resolve_misc(DockerConfig *c) {
        const DockerFlag *sd = docker_flags_get(&c->flags, "storage-driver");
        int r;

        if (sd && sd->value)
                c->storage_driver = strdup(sd->value);
        else if (c->json_valid)
                c->storage_driver = daemon_json_get_string(&c->json, "storage-driver");

        if (c->json_valid) {
                cJSON *features = cJSON_GetObjectItemCaseSensitive(c->json.root, "features");
                cJSON *snap = features ? cJSON_GetObjectItemCaseSensitive(features, "containerd-snapshotter") : NULL;
                cJSON *lr = cJSON_GetObjectItemCaseSensitive(c->json.root, "live-restore");
                c->containerd_snapshotter = cJSON_IsTrue(snap);
                c->live_restore = cJSON_IsTrue(lr);
        }
        const DockerFlag *lrf = docker_flags_get(&c->flags, "live-restore");
        if (lrf && (!lrf->value || streq(lrf->value, "true")))
                c->live_restore = true;

        /* The socket the Engine API answers on: the first unix:// host;
         * fd:// means systemd's docker.socket. */
        const char *sock = NULL;
        for (size_t i = 0; i < c->flags.n && !sock; i++)
                if (streq(c->flags.flags[i].name, "host") && c->flags.flags[i].value &&
                    startswith(c->flags.flags[i].value, "unix://"))
                        sock = c->flags.flags[i].value + strlen("unix://");
        if (!sock && c->json_valid) {
                cJSON *hosts = cJSON_GetObjectItemCaseSensitive(c->json.root, "hosts"), *h;
                cJSON_ArrayForEach(h, hosts) if (cJSON_IsString(h) && startswith(h->valuestring, "unix://")) {
                        sock = h->valuestring + strlen("unix://");
                        break;
                }
        }
        c->socket = strdup(!isempty(sock) ? sock : DOCKER_DEFAULT_SOCKET);
        if (!c->storage_driver && errno == ENOMEM)
                return -ENOMEM;
        r = c->socket ? 0 : -ENOMEM;
        return r;
}

int docker_config_load(const char *root, InitSystem init, const SourceSet *overlay, DockerConfig *ret) {
        return docker_config_load_full(root, init, overlay, NULL, ret);
}

/* The snap and rootless Docker: what they are is reported; that a move of
 * the system's Docker leaves a user's rootless Docker where it is, warned. */
static int find_installs(DockerConfig *c) {
        int r;

        r = docker_installs_detect(c->root, &c->installs);
        if (r < 0)
                return r;
        c->install = docker_installs_kind(&c->installs, c->service_file != NULL);
        r = strv_extend_strv(&c->warnings, c->installs.warnings);
        for (size_t i = 0; r >= 0 && c->install == INSTALL_SYSTEM && i < c->installs.n; i++) {
                const DockerInstall *d = &c->installs.items[i];
                r = strv_extendf_unique(&c->warnings,
                                        "User %s also runs rootless Docker (data root %s, from %s): this program "
                                        "changes the system's Docker only, and that data stays where it is.",
                                        d->user, d->data_root, d->service);
        }
        return r < 0 ? r : 0;
}

int docker_config_load_full(const char *root, InitSystem init, const SourceSet *overlay, const LoadedUnit *loaded,
                            DockerConfig *ret) {
        DockerConfig c = { .root = root, .sources.root = root };
        int r;

        if (overlay)
                for (size_t i = 0; overlay->overlay_paths && overlay->overlay_paths[i]; i++) {
                        r = source_set_overlay(&c.sources, overlay->overlay_paths[i], overlay->overlay_contents[i]);
                        if (r < 0)
                                goto fail;
                }

        c.init = init != INIT_UNKNOWN ? init : detect_init_system(root);
        switch (c.init) {
        case INIT_SYSTEMD:
                r = docker_config_load_systemd(&c, loaded);
                break;
        case INIT_SYSV:
        case INIT_OPENRC:
                r = docker_config_load_script(&c, "/etc/init.d/docker");
                break;
        case INIT_UPSTART:
                r = docker_config_load_script(&c, "/etc/init/docker.conf");
                break;
        default:
                r = strv_extendf_unique(&c.warnings, "No init system configuration for docker found.");
        }
        if (r < 0)
                goto fail;

        r = docker_flags_parse(&c.argv, &c.flags);
        if (r >= 0)
                r = docker_config_check_unknown(&c);
        if (r < 0)
                goto fail;
        r = load_json(&c);
        if (r < 0)
                goto fail;
        r = find_conflicts(&c);
        if (r < 0)
                goto fail;
        r = resolve_data_root(&c);
        if (r < 0)
                goto fail;
        r = find_unread_env_files(&c);
        if (r < 0)
                goto fail;
        r = resolve_misc(&c);
        if (r < 0)
                goto fail;
        r = find_installs(&c);
        if (r < 0)
                goto fail;

        *ret = c;
        return 0;
fail:
        docker_config_done(&c);
        return r;
}
