/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/proof.h"
#include "config/refusal.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"
#include "util/text-files.h"
#include "util/utf8.h"

#define PROOF_COMMAND_TIMEOUT_MS (30 * 1000)

void proof_context_done(ProofContext *ctx) {
        free(ctx->dockerd);
        free(ctx->sh);
        *ctx = (ProofContext){};
}

/* "Docker version 20.10.24+dfsg1, build 5d6db84" */
static void parse_version(const char *s, int *major, int *minor) {
        const char *v = s ? strstr(s, "version ") : NULL;

        if (!v || sscanf(v + strlen("version "), "%d.%d", major, minor) != 2)
                *major = *minor = 0;
}

/* The version of dockerd binary, asked in "/" with what it might start
 * ended with it on a timeout. Asked once a run while the binary stays the
 * same: a plan proves two or three times. */
static void ask_version(const char *binary, int *ret_major, int *ret_minor) {
        static char *asked;
        static int major, minor;
        _cleanup_free_ char *out = NULL;
        char *argv[] = { (char *) binary, (char *) "--version", NULL };
        int status = 0, r;

        if (!asked || !streq(asked, binary)) {
                free(asked);
                asked = strdup(binary);
                major = minor = 0;
                r = run_command_full(argv, RUN_IN_ROOT_DIR | RUN_KILL_GROUP, PROOF_COMMAND_TIMEOUT_MS, &out, NULL,
                                     &status);
                if (r >= 0 && status == 0)
                        parse_version(out, &major, &minor);
                log_debug("%s --version: Engine %d.%d", binary, major, minor);
        }
        *ret_major = major;
        *ret_minor = minor;
}

int proof_context_init(const char *root, const char *dockerd, ProofContext *ret) {
        ProofContext ctx = {};

        /* Init scripts run under /bin/sh; so does the proof of the files they
         * source, also for another tree (only plain assignments ever reach
         * the shell: no command of the tree is run). */
        if (access("/bin/sh", X_OK) == 0) {
                ctx.sh = strdup("/bin/sh");
                if (!ctx.sh)
                        return -ENOMEM;
        }

        if (!root_is_host(root)) {
                *ret = ctx;
                return 0;
        }
        if (dockerd) {
                /* The one the service runs, or none: not another that
                 * happens to be in PATH. */
                if (access(dockerd, X_OK) == 0 && !(ctx.dockerd = strdup(dockerd))) {
                        proof_context_done(&ctx);
                        return -ENOMEM;
                }
        } else
                (void) find_executable("dockerd", &ctx.dockerd);
        if (ctx.dockerd) {
                ask_version(ctx.dockerd, &ctx.engine_major, &ctx.engine_minor);
                /* "dockerd --validate" came with Engine 23.0. */
                ctx.validate = ctx.engine_major >= 23;
        }
        *ret = ctx;
        return 0;
}

int proof_context_init_config(const DockerConfig *c, ProofContext *ret) {
        _cleanup_free_ char *dockerd = NULL;
        int r;

        if (root_is_host(c->root)) {
                r = docker_config_dockerd(c, &dockerd);
                if (r < 0)
                        return r;
        }
        return proof_context_init(c->root, dockerd, ret);
}

JsonDialect proof_json_dialect(const ProofContext *ctx) {
        return (JsonDialect){
                .bom = ctx->engine_major >= 23,
                .empty = ctx->engine_major >= 23,
        };
}

static int refuse_at(char **ret, const SourceFile *f, size_t offset, const char *why) {
        unsigned line, col;

        source_position(f, offset, &line, &col);
        return config_refuse(ret, "%s:%u:%u: %s", f->path, line, col, why);
}

/* ---- bytes ------------------------------------------------------------- */

static int check_shell_bytes(const SourceFile *f, char **ret) {
        size_t bad;
        char buf[32], *why = NULL;
        int r;

        bad = first_control_char(f->content, f->size, "\t\n");
        if (bad < f->size) {
                if (f->content[bad] == '\r')
                        return refuse_at(ret, f, bad,
                                         "a CR (carriage return: DOS line endings): sh keeps it as part of the "
                                         "value, so dockerd would get a data root or option ending in '\\r'; "
                                         "convert the file with \"sed -i 's/\\r$//' FILE\" (or dos2unix)");
                if (asprintf(&why, "a %s: sh passes it to dockerd as part of a value; remove it",
                             byte_name((unsigned char) f->content[bad], buf)) < 0)
                        return -ENOMEM;
                r = refuse_at(ret, f, bad, why);
                free(why);
                return r;
        }
        bad = utf8_first_invalid(f->content, f->size);
        if (bad < f->size)
                return refuse_at(ret, f, bad, "not valid UTF-8: write the file in UTF-8");
        return 0;
}

static int check_systemd_bytes(const SourceFile *f, bool unit, char **ret) {
        char buf[32], *why = NULL;
        int r;

        for (size_t i = 0; i < f->size; i++) {
                unsigned char c = (unsigned char) f->content[i];

                if (c == '\r' && (i + 1 >= f->size || f->content[i + 1] != '\n'))
                        return refuse_at(ret, f, i,
                                         "a CR (carriage return) that is not part of a CRLF line ending: systemd "
                                         "ends the line there, this program does not; remove it");
                if (!unit || c == '\r' || c == '\t' || c == '\n' || (c >= 0x20 && c != 0x7f))
                        continue;
                if (asprintf(&why, "a %s: systemd would pass it on as part of a setting; remove it",
                             byte_name(c, buf)) < 0)
                        return -ENOMEM;
                r = refuse_at(ret, f, i, why);
                free(why);
                return r;
        }
        if (unit) {
                size_t bad = utf8_first_invalid(f->content, f->size);
                if (bad < f->size)
                        return refuse_at(ret, f, bad,
                                         "not valid UTF-8: systemd ignores such a line, this program does not; "
                                         "write the file in UTF-8");
        }
        return 0;
}

static int check_json(const SourceFile *f, const ProofContext *ctx, char **ret) {
        JsonDialect d = proof_json_dialect(ctx);
        _cleanup_free_ char *why = NULL;
        size_t off = 0;
        int r;

        r = daemon_json_check_strict(f->content, f->size, &d, &off, &why);
        if (r == -EBADMSG)
                return refuse_at(ret, f, off, why);
        return r;
}

/* ---- sh ------------------------------------------------------------------ */

static int shell_quote(FILE *out, const char *s) {
        fputc('\'', out);
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", out);
                else
                        fputc(*s, out);
        fputc('\'', out);
        return 0;
}

/* Reads "NAME\nCOUNT\n" then COUNT times "LEN\nBYTES\n" ("-" for an unset
 * variable) from *p. */
static int read_token(const char **p, const char *end, char **ret) {
        const char *nl = memchr(*p, '\n', end - *p);

        if (!nl)
                return -EBADMSG;
        *ret = strndup(*p, nl - *p);
        if (!*ret)
                return -ENOMEM;
        *p = nl + 1;
        return 0;
}

static int read_word(const char **p, const char *end, char **ret) {
        _cleanup_free_ char *len = NULL;
        unsigned long n;
        char *e;
        int r;

        r = read_token(p, end, &len);
        if (r < 0)
                return r;
        n = strtoul(len, &e, 10);
        if (*e || (size_t) (end - *p) < n + 1 || (*p)[n] != '\n')
                return -EBADMSG;
        *ret = strndup(*p, n);
        if (!*ret)
                return -ENOMEM;
        *p += n + 1;
        return 0;
}

static char *describe_words(char *const *w) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return NULL;
        fputc('[', f);
        STRV_FOREACH(x, w) {
                _cleanup_free_ char *e = cescape(*x);
                fprintf(f, "%s'%s'", x == w ? "" : ", ", strempty(e));
        }
        fputc(']', f);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(out);
}

/* Where a variable was last set, for messages. */
static void var_origin(const DockerConfig *c, const EnvVar *v, const char **ret_file, unsigned *ret_line) {
        *ret_file = v && v->src < c->sources.n ? c->sources.files[v->src].path : "the init script";
        *ret_line = v ? v->line : 0;
}

static int compare_var(const DockerConfig *c, const char *name, bool sh_set, char *const *sh_words, char **ret) {
        const EnvVar *v = env_get(&c->env, name);
        _cleanup_(word_list_done) WordList ours = {};
        _cleanup_strv_free_ char **mine = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        const char *file;
        unsigned line;
        int r;

        if (v) {
                r = word_list_split_text(&ours, &v->value);
                if (r < 0)
                        return r;
                mine = word_list_to_strv(&ours);
                if (!mine)
                        return -ENOMEM;
        }
        var_origin(c, v, &file, &line);
        if (!!v != sh_set)
                return config_refuse(ret, "%s:%u: sh %s %s, this program found it %s: the files do not read the same "
                                   "for sh; set the data root by hand",
                              file, line, sh_set ? "sets" : "leaves unset", name, v ? "set" : "unset");
        if (!v)
                return 0;
        if (!strv_equal(mine, (char **) sh_words)) {
                a = describe_words(mine);
                b = describe_words(sh_words);
                return config_refuse(ret,
                              "%s:%u: sh splits $%s into %s, this program into %s: the init script would pass "
                              "dockerd other options than this program works with; simplify the assignment",
                              file, line, name, strna(b), strna(a));
        }
        /* The init script expands $DOCKER_OPTS unquoted: a word that is a
         * file name pattern becomes the names of the files it matches. */
        for (size_t i = 0; i < ours.n; i++) {
                const Word *w = &ours.words[i];
                size_t k = strcspn(w->text, "*?[");
                if (!w->text[k])
                        continue;
                _cleanup_free_ char *e = cescape(w->text);
                uint32_t src = k < w->chars.len ? w->chars.src[k] : TEXT_NO_SOURCE;
                if (src < c->sources.n)
                        return refuse_at(ret, &c->sources.files[src], w->chars.off[k],
                                         "a '*', '?' or '[' in an option: the init script expands $"
                                         "DOCKER_OPTS unquoted, so the shell would replace the word with "
                                         "matching file names; remove it or set the option in daemon.json");
                return config_refuse(ret, "%s:%u: the word '%s' of $%s is a file name pattern the init script would "
                                   "expand; remove it",
                              file, line, strna(e), name);
        }
        return 0;
}

static int prove_shell(const DockerConfig *c, const ProofContext *ctx, char **ret) {
        _cleanup_(text_files_done) TextFiles copies = {};
        _cleanup_free_ char *script = NULL, *out = NULL, *err = NULL;
        _cleanup_strv_free_ char **argv = NULL, **names = NULL;
        size_t script_len = 0;
        FILE *sf = NULL;
        unsigned n = 0;
        int status = 0, r;

        for (size_t i = 0; i < c->sources.n; i++)
                if (c->sources.files[i].role == SOURCE_ENV_SHELL)
                        n++;
        if (n == 0)
                return 0;
        if (!ctx->sh)
                return config_refuse(ret, "No /bin/sh to read the environment files of the init script with: their "
                                   "effect cannot be checked.");

        /* The files as this program read them (on disk, or planned), in
         * the order the script sources them. */
        STRV_FOREACH(p, c->env_files) {
                const SourceFile *f = NULL;
                const char *copy;

                for (size_t i = 0; i < c->sources.n; i++)
                        if (c->sources.files[i].role == SOURCE_ENV_SHELL && streq(c->sources.files[i].path, *p))
                                f = &c->sources.files[i];
                if (!f)
                        continue;
                r = strv_extend(&names, f->path);
                if (r >= 0)
                        r = text_files_add(&copies, "proof-env", f->content, f->size, &copy);
                if (r < 0)
                        goto finish;
        }

        sf = open_memstream(&script, &script_len);
        if (!sf) {
                r = -ENOMEM;
                goto finish;
        }
        /* No globbing: a pattern is refused above instead. The script's
         * own assignments come before the files it sources, or after
         * them under OpenRC, which sources /etc/conf.d/docker first. */
        fputs("set -f\n", sf);
        if (c->init == INIT_OPENRC)
                for (const char *const *name = openrc_name_vars; *name; name++)
                        fprintf(sf, "%s=docker\n", *name);
        for (int pass = 0; pass < 2; pass++) {
                if ((pass == 0) == (c->init == INIT_OPENRC))
                        for (size_t i = 0; i < copies.n; i++)
                                fprintf(sf, ". \"$%zu\"\n", i + 1);
                else
                        for (size_t i = 0; i < c->script_env.n; i++) {
                                fprintf(sf, "%s=", c->script_env.vars[i].name);
                                shell_quote(sf, strempty(c->script_env.vars[i].value.s));
                                fputc('\n', sf);
                        }
        }
        fputs("for __dr_v in", sf);
        for (const char *const *v = docker_script_vars; *v; v++)
                fprintf(sf, " %s", *v);
        fputs("; do\n"
              "  eval \"__dr_set=\\${$__dr_v+x}\"\n"
              "  if [ -z \"$__dr_set\" ]; then printf '%s\\n-\\n' \"$__dr_v\"; continue; fi\n"
              "  eval \"set -- \\$$__dr_v\"\n"
              "  printf '%s\\n%s\\n' \"$__dr_v\" \"$#\"\n"
              "  for __dr_w; do printf '%s\\n%s\\n' \"${#__dr_w}\" \"$__dr_w\"; done\n"
              "done\n",
              sf);
        if (fclose(sf) != 0) {
                sf = NULL;
                r = -ENOMEM;
                goto finish;
        }
        sf = NULL;

        /* A clean environment, as at boot: nothing of ours leaks into a
         * $VAR of the files. LC_ALL=C: ${#w} counts bytes. */
        r = strv_extend_many(&argv, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
                             ctx->sh, "-c", script, "sh", NULL);
        if (r >= 0 && copies.n > 0)
                r = strv_extend_strv(&argv, copies.paths);
        if (r < 0)
                goto finish;
        r = run_command(argv, PROOF_COMMAND_TIMEOUT_MS, &out, &err, &status);
        if (r < 0)
                goto finish;
        if (status != 0) {
                _cleanup_free_ char *named = NULL, *e = NULL;
                ssize_t last = text_files_last_named(&copies, strempty(err));
                const char *which = last >= 0 ? names[last] : NULL;

                /* sh names the copy: name the file instead. */
                named = text_files_rename(&copies, strempty(err), names);
                e = named ? cescape(named) : NULL;
                r = config_refuse(ret, "%s: sh cannot source it (exit status %d: %s): the init script would fail to start "
                                "Docker; fix the file",
                           which ?: strna(names ? names[0] : NULL), status, strna(e));
                goto finish;
        }

        {
                const char *p = strempty(out), *end = p + strlen(p);
                while (p < end) {
                        _cleanup_free_ char *name = NULL, *count = NULL;
                        _cleanup_strv_free_ char **words = NULL;
                        unsigned long k;

                        r = read_token(&p, end, &name);
                        if (r >= 0)
                                r = read_token(&p, end, &count);
                        if (r < 0)
                                goto garbled;
                        if (!streq(count, "-")) {
                                k = strtoul(count, NULL, 10);
                                for (unsigned long i = 0; i < k; i++) {
                                        char *w;
                                        r = read_word(&p, end, &w);
                                        if (r >= 0)
                                                r = strv_consume(&words, w);
                                        if (r < 0)
                                                goto garbled;
                                }
                                if (!words && !(words = calloc(1, sizeof(char *)))) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                        }
                        r = compare_var(c, name, !streq(count, "-"), words, ret);
                        if (r < 0)
                                goto finish;
                }
        }
        r = 0;
        goto finish;

garbled:
        if (r != -ENOMEM)
                r = config_refuse(ret, "sh's reading of the environment files could not be compared: unexpected output.");
finish:
        if (sf)
                fclose(sf);
        return r;
}

/* ---- dockerd --validate ------------------------------------------------------ */

/* "dockerd --validate" of f, given to it by the name text_files_add()
 * gives (*on_disk: a file below $TMPDIR or /tmp; set when it was one),
 * together with the flags it will
 * meet: a setting in both is what stops dockerd most often. *ret_err: what
 * dockerd said, of f->path. */
static int run_validate(const DockerConfig *c, const ProofContext *ctx, const SourceFile *f, bool *on_disk,
                        int *ret_status, char **ret_err) {
        _cleanup_(text_files_done) TextFiles copy = { .on_disk = *on_disk };
        _cleanup_free_ char *out = NULL, *err = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        char *names[] = { f->path, NULL };
        const char *file;
        int r;

        r = text_files_add(&copy, "daemon.json", f->content, f->size, &file);
        *on_disk = copy.on_disk;
        if (r >= 0)
                r = strv_extend_many(&argv, ctx->dockerd, "--validate", "--config-file", file, NULL);
        for (size_t i = c->flags.first_arg; r >= 0 && i < c->argv.n; i++) {
                const char *w = c->argv.words[i].text;
                if (startswith(w, "--config-file")) {
                        if (!strchr(w, '='))
                                i++;
                        continue;
                }
                r = strv_extend(&argv, w);
        }
        if (r >= 0)
                r = run_command_full(argv, RUN_IN_ROOT_DIR | RUN_KILL_GROUP, PROOF_COMMAND_TIMEOUT_MS, &out, &err,
                                     ret_status);
        if (r < 0)
                return r;
        log_debug("\"dockerd --validate\" %s %s, given as %s", *ret_status == 0 ? "accepts" : "refuses", f->path,
                  file);
        *ret_err = text_files_rename(&copy, strempty(err), names);
        return *ret_err ? 0 : -ENOMEM;
}

static int prove_validate(const DockerConfig *c, const ProofContext *ctx, char **ret) {
        _cleanup_free_ char *err = NULL, *again = NULL, *e = NULL;
        const SourceFile *f;
        bool on_disk = false;
        int status = 0, status_again = 0, r;

        if (!ctx->validate || !ctx->dockerd || !c->json_exists || !c->json_valid || c->json_src >= c->sources.n)
                return 0;
        f = &c->sources.files[c->json_src];

        r = run_validate(c, ctx, f, &on_disk, &status, &err);
        if (r >= 0 && status != 0 && !on_disk) {
                /* The file was in memory, read through this process's /proc
                 * entry, which a security module may keep dockerd out of
                 * (its own domain under SELinux): the verdict that counts is
                 * the one on a file, where one can be written. */
                on_disk = true;
                r = run_validate(c, ctx, f, &on_disk, &status_again, &again);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        status = status_again;
                        free(err);
                        err = TAKE_PTR(again);
                } else
                        log_debug_errno(r, "No file for \"dockerd --validate\" to read (%m): its verdict on the copy "
                                        "in memory stands");
                r = 0;
        }
        if (r < 0 || status == 0)
                return r;
        e = cescape(err);
        return config_refuse(ret, "%s: \"dockerd --validate\" rejects the new configuration: %s", f->path, strna(e));
}

int config_prove(const DockerConfig *c, const ProofContext *ctx, char **ret_refusal) {
        int r;

        if (c->unprovable)
                return config_refuse(ret_refusal, "%s", c->unprovable[0]);

        for (size_t i = 0; i < c->sources.n; i++) {
                const SourceFile *f = &c->sources.files[i];

                switch (f->role) {
                case SOURCE_ENV_SHELL:
                        if (f->unsafe)
                                return config_refuse(ret_refusal, "%s", f->unsafe);
                        r = check_shell_bytes(f, ret_refusal);
                        break;
                case SOURCE_ENV_SYSTEMD:
                        if (f->unsafe)
                                return config_refuse(ret_refusal, "%s", f->unsafe);
                        r = check_systemd_bytes(f, false, ret_refusal);
                        break;
                case SOURCE_UNIT:
                        r = check_systemd_bytes(f, true, ret_refusal);
                        break;
                case SOURCE_JSON:
                        /* Invalid even for cJSON: refused with cJSON's
                         * position by the plan (c->json_error). */
                        r = c->json_valid || c->json_src != i ? check_json(f, ctx, ret_refusal) : 0;
                        break;
                default:
                        r = 0;
                }
                if (r < 0)
                        return r;
        }

        r = prove_shell(c, ctx, ret_refusal);
        if (r < 0)
                return r;
        return prove_validate(c, ctx, ret_refusal);
}

int config_prove_refusals(const DockerConfig *c, char ***refusals) {
        _cleanup_(proof_context_done) ProofContext ctx = {};
        _cleanup_free_ char *why = NULL;
        int r;

        r = proof_context_init_config(c, &ctx);
        if (r < 0)
                return r;
        r = config_prove(c, &ctx, &why);
        if (r == -ECANCELED) {
                r = strv_consume(refusals, TAKE_PTR(why));
                return r < 0 ? r : 1;
        }
        return r;
}
