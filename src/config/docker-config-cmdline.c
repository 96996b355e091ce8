/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dockerd's command line and environment as the init system builds them:
 * docker.service with its drop-ins and environment files (systemd), or the
 * init script, the files it sources and the variables it expands (SysV,
 * OpenRC, upstart). Each word keeps the file it comes from. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/docker-config-internal.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

static int load_env_file(DockerConfig *c, const char *path, bool optional, EnvSyntax syntax, const char *reader) {
        uint32_t id;
        int r;

        r = source_set_load(&c->sources, path, &id);
        if (r == -ENOENT) {
                if (!optional)
                        return strv_extendf_unique(&c->warnings,
                                                   "%s reads %s, which does not exist: it will fail to start.", reader,
                                                   path);
                return 0;
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                _cleanup_free_ char *why = NULL;

                /* What dockerd is started with depends on this file:
                 * nothing can be proved without it. */
                r = source_load_error(&c->sources, path, r, &why);
                if (r < 0)
                        return r;
                r = strv_extendf_unique(&c->unprovable, "%s", why);
                if (r < 0)
                        return r;
                return strv_extendf_unique(&c->warnings, "%s", why);
        }
        source_set_get(&c->sources, id)->role = syntax == ENV_SYNTAX_SHELL ? SOURCE_ENV_SHELL : SOURCE_ENV_SYSTEMD;
        if (!strv_contains(c->env_files, path)) {
                r = strv_extend(&c->env_files, path);
                if (r < 0)
                        return r;
        }
        return env_parse(&c->env, &c->sources, id, syntax, &c->warnings);
}

int docker_config_load_systemd(DockerConfig *c, const LoadedUnit *loaded) {
        _cleanup_strv_free_ char **unknown = NULL;
        const UnitExecStart *e;
        int r;

        r = unit_load(&c->sources, "docker.service", &c->unit);
        if (r == -ENOENT)
                return strv_extendf_unique(&c->warnings, "No docker.service unit found.");
        if (r < 0)
                return r;

        c->service_file = c->unit.fragment ? strdup(c->unit.fragment) : NULL;
        c->dropins = strv_copy(c->unit.dropins);
        if (c->unit.masked)
                r = strv_extendf_unique(&c->warnings, "docker.service is masked (%s): it will not start.",
                                        c->unit.fragment);
        if (r < 0)
                return r;
        r = strv_extend_strv(&c->warnings, c->unit.problems);
        if (r >= 0)
                r = strv_extend_strv(&c->unprovable, c->unit.unprovable);
        if (r < 0)
                return r;

        /* Environment= first; EnvironmentFile= values override it. */
        for (size_t i = 0; i < c->unit.environment.n; i++) {
                const EnvVar *v = &c->unit.environment.vars[i];
                r = env_set(&c->env, v->name, &v->value, v->src, v->line);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(f, c->unit.env_files) {
                const char *p = *f;
                bool optional = p[0] == '-';
                if (optional)
                        p++;
                r = load_env_file(c, p, optional, ENV_SYNTAX_SYSTEMD, "docker.service");
                if (r < 0)
                        return r;
        }
        /* UnsetEnvironment= last: systemd removes those from what the two
         * set before it expands ExecStart=. */
        STRV_FOREACH(u, c->unit.unset_env)
                env_unset(&c->env, *u);

        /* systemd's own view of the unit, when the caller asked it: when
         * it differs from the files, systemd runs what it loaded until a
         * daemon-reload, and that is what the administrator must know. */
        if (loaded) {
                c->from_bus = true;
                if (loaded->need_daemon_reload)
                        r = strv_extendf_unique(&c->warnings,
                                                "docker.service changed on disk since systemd loaded it: systemd runs "
                                                "the old definition until 'systemctl daemon-reload'.");
                else if (!streq_ptr(loaded->fragment_path, c->unit.fragment) &&
                         !(loaded->fragment_path && c->unit.fragment &&
                           path_is_vendor(loaded->fragment_path) == path_is_vendor(c->unit.fragment) &&
                           streq(path_basename(loaded->fragment_path), path_basename(c->unit.fragment))))
                        r = strv_extendf_unique(&c->warnings,
                                                "systemd loaded docker.service from %s, the files say %s.",
                                                strna(loaded->fragment_path), strna(c->unit.fragment));
                if (r < 0)
                        return r;
                if (loaded->exec_start) {
                        c->bus_exec_start = strv_copy(loaded->exec_start);
                        if (!c->bus_exec_start)
                                return -ENOMEM;
                }
        }

        if (c->unit.n_exec == 0)
                return strv_extendf_unique(&c->warnings, "docker.service has no ExecStart=.");
        if (c->unit.n_exec > 1) {
                r = strv_extendf_unique(
                        &c->warnings,
                        "docker.service has %zu ExecStart= lines in effect: a drop-in that replaces it must "
                        "first reset it with an empty \"ExecStart=\".",
                        c->unit.n_exec);
                if (r < 0)
                        return r;
        }
        e = &c->unit.exec[c->unit.n_exec - 1];
        c->exec_file = strdup(c->sources.files[e->src].path);
        if (!c->exec_file)
                return -ENOMEM;
        r = unit_exec_to_words(e, c->unit.name, &c->env, &c->argv, &unknown);
        if (r < 0)
                return r;
        /* What dockerd is started with is not known: nothing that depends
         * on it can be proved. */
        STRV_FOREACH(w, unknown)
                if ((r = strv_extendf_unique(&c->unprovable, "%s:%u: %s", c->exec_file, e->line, *w)) < 0 ||
                    (r = strv_extendf_unique(&c->warnings, "%s:%u: %s", c->exec_file, e->line, *w)) < 0)
                        return r;
        return 0;
}

int docker_config_check_unknown(DockerConfig *c) {
        static const char *const matter[] = {"data-root", "graph", "config-file", NULL};
        _cleanup_free_ char *where = NULL, *why = NULL;
        const DockerFlag *fl = NULL;
        const char *word;
        size_t i = 0;
        int r;

        r = docker_flags_find_unknown(&c->argv, &c->flags, matter, &i, &fl);
        if (r <= 0)
                return r;
        word = c->argv.words[i].text;
        if (c->unit.n_exec > 0)
                r = asprintf(&where, "%s:%u", strna(c->exec_file), c->unit.exec[c->unit.n_exec - 1].line);
        else
                r = asprintf(&where, "%s", strna(c->exec_file));
        if (r >= 0 && fl)
                r = asprintf(&why, "%s: ExecStart= word '%s', the value of --%s, has %s, so %s is not known", where,
                        word, fl->name, UNIT_SPECIFIER_UNKNOWN,
                        streq(fl->name, "config-file") ? "the configuration file dockerd reads"
                                                       : "the data root dockerd uses");
        else if (r >= 0)
                r = asprintf(&why, "%s: ExecStart= word '%s' has %s, %s", where, word, UNIT_SPECIFIER_UNKNOWN,
                        i < c->flags.first_arg ? "and it is the program, so what systemd runs is not known"
                                               : "and it is no flag's value, so it could be any flag, "
                                                 "--data-root among them");
        if (r < 0)
                return -ENOMEM;
        /* What dockerd is started with is not known: nothing that depends
         * on it can be proved. */
        r = strv_extendf_unique(&c->unprovable, "%s", why);
        return r < 0 ? r : strv_extendf_unique(&c->warnings, "%s", why);
}

/* Replaces $NAME and ${NAME} in a path mentioned by a script with the
 * values the script assigns (BASE=docker) or the service name. */
static char *substitute_script_vars(const char *p, const Env *scratch) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; p[i];) {
                if (p[i] == '$') {
                        size_t j = i + 1;
                        bool braced = p[j] == '{';
                        if (braced)
                                j++;
                        size_t ns = j;
                        while (isalnum((unsigned char) p[j]) || p[j] == '_')
                                j++;
                        _cleanup_free_ char *name = strndup(p + ns, j - ns);
                        if (braced && p[j] == '}')
                                j++;
                        const EnvVar *v = name ? env_get(scratch, name) : NULL;
                        if (v)
                                fputs(v->value.s ?: "", f);
                        else if (name && (streq(name, "UPSTART_JOB") || streq(name, "RC_SVCNAME") ||
                                          streq(name, "SVCNAME") || streq(name, "prog")))
                                fputs("docker", f);
                        else {
                                fclose(f);
                                return NULL;
                        }
                        i = j;
                } else
                        fputc(p[i++], f);
        }
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(out);
}

/* Whether the script defines function name ("start() {"). */
static bool script_defines(const char *text, const char *name) {
        size_t nl = strlen(name);

        for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                const char *p = l + strspn(l, " \t");

                if (strncmp(p, name, nl) != 0)
                        continue;
                p += nl;
                p += strspn(p, " \t");
                if (*p == '(')
                        return true;
        }
        return false;
}

/* An option variable as OpenRC hands it to dockerd: its start
 * (start-stop-daemon.sh, supervise-daemon.sh) runs "eval start-stop-daemon
 * ... -- $command_args", so what the script put into command_args is read
 * by sh once more: quotes honoured, variables expanded again. A script
 * with a start() of its own may not do that: then the two readings must
 * agree. What sh would do beyond quotes and $NAME makes the words
 * unprovable (they are then read as split at blanks). */
static int add_openrc_words(DockerConfig *c, const EnvVar *v, bool own_start) {
        _cleanup_(word_list_done) WordList words = {}, plain = {};
        _cleanup_free_ char *where = NULL;
        const WordList *l;
        const char *why = NULL;
        uint32_t src = TEXT_NO_SOURCE;
        size_t off = 0;
        bool evaluated;
        int r;

        r = word_list_split_text(&plain, &v->value);
        if (r >= 0)
                r = env_eval_words(&c->env, &v->value, &words, &src, &off, &why);
        if (r < 0)
                return r;
        evaluated = r > 0;

        if (evaluated && own_start) {
                _cleanup_strv_free_ char **a = word_list_to_strv(&words), **b = word_list_to_strv(&plain);

                if (!a || !b)
                        return -ENOMEM;
                if (!strv_equal(a, b)) {
                        why = "the init script has a start() of its own, which may or may not evaluate the options "
                              "a second time as OpenRC's does, and the two readings differ";
                        src = TEXT_NO_SOURCE;
                }
        }
        if (why) {
                if (src < c->sources.n) {
                        unsigned line, col;
                        source_position(&c->sources.files[src], off, &line, &col);
                        r = asprintf(&where, "%s:%u:%u", c->sources.files[src].path, line, col);
                } else
                        r = asprintf(&where, "%s:%u", v->src < c->sources.n ? c->sources.files[v->src].path : "?",
                                     v->line);
                if (r < 0)
                        return -ENOMEM;
                /* What dockerd is started with is not known: nothing that
                 * depends on it can be proved. */
                if ((r = strv_extendf_unique(&c->unprovable, "%s: $%s: %s", where, v->name, why)) < 0 ||
                    (r = strv_extendf_unique(&c->warnings, "%s: $%s: %s", where, v->name, why)) < 0)
                        return r;
        }

        l = evaluated ? &words : &plain;
        for (size_t i = 0; i < l->n; i++) {
                r = word_list_add_slice(&c->argv, &l->words[i].chars, 0, l->words[i].chars.len);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool script_references(const char *text, const char *name, size_t *ret_pos) {
        size_t nl = strlen(name);
        for (const char *p = strchr(text, '$'); p; p = strchr(p + 1, '$')) {
                const char *n = p + 1;
                if (*n == '{')
                        n++;
                if (strncmp(n, name, nl) == 0 && !(isalnum((unsigned char) n[nl]) || n[nl] == '_')) {
                        *ret_pos = p - text;
                        return true;
                }
        }
        return false;
}

int docker_config_load_script(DockerConfig *c, const char *script) {
        _cleanup_strv_free_ char **files = NULL, **problems = NULL;
        Env scratch = {};
        SourceFile *f;
        uint32_t id;
        int r;

        r = source_set_load(&c->sources, script, &id);
        if (r == -ENOENT)
                return strv_extendf_unique(&c->warnings, "No %s found.", script);
        if (r < 0)
                return r;
        source_set_get(&c->sources, id)->role = SOURCE_SCRIPT;
        c->service_file = strdup(script);
        c->exec_file = strdup(script);
        if (!c->service_file || !c->exec_file)
                return -ENOMEM;

        /* The script's own plain assignments give the defaults (DOCKER_OPTS=,
         * BASE=docker). Its other lines are code, which we do not run. */
        r = env_parse(&scratch, &c->sources, id, ENV_SYNTAX_SHELL, &problems);
        if (r < 0)
                goto finish;
        f = source_set_get(&c->sources, id);

        /* The files it sources: every /etc/default, /etc/sysconfig,
         * /etc/conf.d path it names, with its variables filled in. */
        static const char *const dirs[] = { "/etc/default/", "/etc/sysconfig/", "/etc/conf.d/" };
        for (const char *p = f->content; *p; p++) {
                for (size_t k = 0; k < ELEMENTSOF(dirs); k++) {
                        if (!startswith(p, dirs[k]))
                                continue;
                        size_t l = strcspn(p, " \t\n\"';)]|&");
                        _cleanup_free_ char *raw = strndup(p, l), *path = NULL;
                        if (!raw) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        path = substitute_script_vars(raw, &scratch);
                        if (path && !strchr(path, '$') && !strv_contains(files, path) &&
                            (r = strv_extend(&files, path)) < 0)
                                goto finish;
                }
        }
        /* OpenRC reads /etc/conf.d/<service> by itself. */
        if (c->init == INIT_OPENRC && !strv_contains(files, "/etc/conf.d/docker") &&
            (r = strv_extend(&files, "/etc/conf.d/docker")) < 0)
                goto finish;

        if (c->init == INIT_OPENRC) {
                /* openrc-run sources /etc/conf.d/docker first, then the
                 * script, whose assignments see those variables
                 * (DOCKER_OPTS="${DOCKER_OPTS} --log-level=warn") and
                 * override them. Its shell has the service's name set. */
                for (const char *const *n = openrc_name_vars; *n; n++) {
                        Text t = {};
                        r = text_append_literal(&t, "docker");
                        if (r >= 0)
                                r = env_set(&c->env, *n, &t, TEXT_NO_SOURCE, 0);
                        text_done(&t);
                        if (r < 0)
                                goto finish;
                }
                STRV_FOREACH(p, files) {
                        r = load_env_file(c, *p, true, ENV_SYNTAX_SHELL, script);
                        if (r < 0)
                                goto finish;
                }
                problems = strv_free(problems);
                r = env_parse(&c->env, &c->sources, id, ENV_SYNTAX_SHELL, &problems);
                for (size_t i = 0; r >= 0 && i < c->env.n; i++) {
                        const EnvVar *d = &c->env.vars[i];
                        if (d->src == id)
                                r = env_set(&c->script_env, d->name, &d->value, d->src, d->line);
                }
                if (r < 0)
                        goto finish;
        } else {
                /* The script's environment files are sourced with its own
                 * variables set (BASE, DOCKER_OPTS=): they may refer to
                 * them. */
                for (size_t i = 0; i < scratch.n; i++) {
                        const EnvVar *d = &scratch.vars[i];
                        if ((r = env_set(&c->env, d->name, &d->value, d->src, d->line)) < 0 ||
                            (r = env_set(&c->script_env, d->name, &d->value, d->src, d->line)) < 0)
                                goto finish;
                }
                STRV_FOREACH(p, files) {
                        r = load_env_file(c, *p, true, ENV_SYNTAX_SHELL, script);
                        if (r < 0)
                                goto finish;
                }
        }

        /* dockerd's command line: the program, then each variable the script
         * expands, in the order it first does. */
        {
                const EnvVar *bin = env_get(&scratch, "DOCKERD");
                Text prog = {};
                size_t pos[16], order[16], n = 0;
                bool own_start;

                r = text_append_literal(&prog, bin && bin->value.len ? bin->value.s : "dockerd");
                if (r >= 0)
                        r = word_list_add_slice(&c->argv, &prog, 0, prog.len);
                text_done(&prog);
                if (r < 0)
                        goto finish;

                /* Loading the env files may have moved the source table. */
                f = source_set_get(&c->sources, id);
                for (size_t i = 0; docker_script_vars[i] && n < ELEMENTSOF(pos); i++)
                        if (script_references(f->content, docker_script_vars[i], &pos[n]))
                                order[n++] = i;
                for (size_t a = 1; a < n; a++)
                        for (size_t b = a; b > 0 && pos[b - 1] > pos[b]; b--) {
                                size_t t = pos[b];
                                pos[b] = pos[b - 1];
                                pos[b - 1] = t;
                                t = order[b];
                                order[b] = order[b - 1];
                                order[b - 1] = t;
                        }
                own_start = script_defines(f->content, "start");
                for (size_t i = 0; i < n; i++) {
                        const EnvVar *v = env_get(&c->env, docker_script_vars[order[i]]);
                        if (!v)
                                continue;
                        r = c->init == INIT_OPENRC ? add_openrc_words(c, v, own_start)
                                                   : word_list_split_text(&c->argv, &v->value);
                        if (r < 0)
                                goto finish;
                }
        }
        r = 0;
finish:
        env_done(&scratch);
        return r;
}
