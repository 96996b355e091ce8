/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asking the containerd binary: its version (which decides how a relative
 * import is read) and "containerd config dump", the configuration as it
 * reads it, compared with the files' view of containerd-config.c. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/containerd-binary.h"
#include "config/containerd-internal.h"
#include "util/error.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"
#include "util/strv.h"

#define CONTAINERD_VERSION_TIMEOUT_MS (10 * 1000)

/* argv[0] of a command of binary (NULL: "containerd" in PATH). -ENOENT,
 * with a sentence in *ret_error, when there is none. */
static int binary_argv0(const char *binary, const char **ret, char **ret_error) {
        if (!binary && !find_executable("containerd", NULL))
                return error_set(ret_error, -ENOENT, "there is no containerd in PATH");
        if (binary && access(binary, X_OK) < 0)
                return error_set(ret_error, -ENOENT, "%s is not an executable program", binary);
        *ret = binary ?: "containerd";
        return 0;
}

int containerd_binary_major(const char *binary, char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        char *argv[] = { NULL, (char *) "--version", NULL };
        const char *name = binary ?: "containerd";
        int status = 0, r;

        r = binary_argv0(binary, (const char **) &argv[0], ret_error);
        if (r < 0)
                return r;
        /* In "/", as containerd.service runs it; what it might start ends
         * with it. */
        r = run_command_full(argv, RUN_IN_ROOT_DIR | RUN_KILL_GROUP, CONTAINERD_VERSION_TIMEOUT_MS, &out, &err,
                             &status);
        if (r == -ENOMEM)
                return r;
        if (r == -ETIMEDOUT)
                return error_set(ret_error, r, "'%s --version' did not answer within %d s", name,
                                 CONTAINERD_VERSION_TIMEOUT_MS / 1000);
        if (r < 0)
                return error_set(ret_error, r, "'%s --version' could not be run: %m", name);
        if (status != 0) {
                if (err)
                        err[strcspn(err, "\n")] = '\0';
                return error_set(ret_error, -EIO, "'%s --version' exited with status %d%s%s", name, status,
                                 isempty(err) ? "" : ": ", strempty(err));
        }
        /* "containerd containerd.io 1.7.27 05044ec...", "containerd
         * github.com/containerd/containerd/v2 v2.1.4 ...", Debian's
         * "containerd github.com/containerd/containerd 1.6.20~ds1 ...":
         * the first word that is a version. */
        for (char *save = NULL, *w = strtok_r(out, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
                unsigned a, b;
                if (sscanf(w + (*w == 'v'), "%u.%u", &a, &b) == 2 && isdigit((unsigned char) w[*w == 'v']) && a > 0 &&
                    a <= INT_MAX)
                        return (int) a;
        }
        return error_set(ret_error, -EBADMSG, "'%s --version' printed no version", name);
}

void containerd_dump_done(ContainerdDump *d) {
        free(d->root_dir);
        free(d->state_dir);
        strv_free(d->imports);
        strv_free(d->plugin_dirs);
        free(d->text);
        *d = (ContainerdDump){};
}

int containerd_dump_parse(const char *text, ContainerdDump *ret) {
        _cleanup_(toml_doc_done) TomlDoc doc = {};
        _cleanup_(containerd_dump_done) ContainerdDump d = {};
        const TomlKeyValue *v;
        int r;

        r = toml_parse(text, strlen(text), &doc, NULL, NULL);
        if (r < 0)
                return r;
        v = toml_get(&doc, NULL, "root");
        if (!v || v->type != TOML_STRING || isempty(v->string))
                return -EBADMSG;
        if ((r = free_and_strdup(&d.root_dir, v->string)) < 0)
                return r;
        v = toml_get(&doc, NULL, "state");
        if (v && v->type == TOML_STRING && (r = free_and_strdup(&d.state_dir, v->string)) < 0)
                return r;
        v = toml_get(&doc, NULL, "version");
        d.version = v && v->type == TOML_INTEGER ? v->integer : 0;
        v = toml_get(&doc, NULL, "imports");
        if (v && v->type == TOML_STRING_ARRAY && !(d.imports = strv_copy(v->strings)))
                return -ENOMEM;
        r = containerd_collect_plugin_dirs(&doc, &d.plugin_dirs);
        if (r < 0)
                return r;
        if ((r = free_and_strdup(&d.text, text)) < 0)
                return r;
        *ret = d;
        d = (ContainerdDump){};
        return 0;
}

int containerd_config_dump(const char *binary, const char *config_path, unsigned timeout_ms, ContainerdDump *ret,
                           char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        char *argv[6];
        size_t n = 0;
        int status = 0, r;

        r = binary_argv0(binary, (const char **) &argv[n++], ret_error);
        if (r < 0)
                return r;
        if (config_path) {
                argv[n++] = (char *) "--config";
                argv[n++] = (char *) config_path;
        }
        argv[n++] = (char *) "config";
        argv[n++] = (char *) "dump";
        argv[n] = NULL;

        /* In "/", where containerd.service runs containerd: a relative
         * glob of containerd 1.x's imports is matched from there. */
        r = run_command_full(argv, RUN_IN_ROOT_DIR | RUN_KILL_GROUP, timeout_ms, &out, &err, &status);
        if (r < 0)
                return r;
        if (status != 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(err);
                return -EIO;
        }
        r = containerd_dump_parse(strempty(out), ret);
        if (r == -EBADMSG && ret_error)
                *ret_error = strdup("containerd config dump printed no root");
        return r;
}

int containerd_config_check_dump(const ContainerdConfig *c, const ContainerdDump *d, char ***warnings) {
        _cleanup_free_ char *a = path_normalize(c->config_root_dir), *b = d->root_dir ? path_normalize(d->root_dir) : NULL;
        _cleanup_free_ char *sa = path_normalize(c->config_state_dir), *sb = d->state_dir ? path_normalize(d->state_dir) : NULL;
        int n = 0, r;

        if (!d->root_dir)
                return -EINVAL;
        if (!a || !b || !sa || (d->state_dir && !sb))
                return -ENOMEM;
        if (!streq(a, b)) {
                r = strv_extendf_unique(warnings, "containerd config dump says its root is %s, the files say %s (%s).", d->root_dir,
                            c->config_root_dir, c->root_dir_source);
                if (r < 0)
                        return r;
                n++;
        }
        if (sb && !streq(sa, sb)) {
                r = strv_extendf_unique(warnings, "containerd config dump says its state is %s, the files say %s (%s).",
                            d->state_dir, c->config_state_dir, c->state_dir_source);
                if (r < 0)
                        return r;
                n++;
        }
        return n;
}
