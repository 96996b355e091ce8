/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/dockerd-flags.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

static const struct {
        char letter;
        const char *name;
} shorthands[] = {
        { 'D', "debug" },   { 'H', "host" },   { 'G', "group" },          { 'b', "bridge" },
        { 'g', "graph" },   { 'l', "log-level" }, { 'p', "pidfile" },     { 's', "storage-driver" },
        { 'v', "version" }, { 'h', "help" },   { 'e', "exec-driver" },    { 'r', "restart" },
};

/* dockerd's boolean flags: they never consume the next word. */
static const char *const boolean_flags[] = {
        "debug", "tls", "tlsverify", "icc", "ip-forward", "ip-masq", "iptables", "ip6tables", "ipv6",
        "live-restore", "no-new-privileges", "selinux-enabled", "userland-proxy", "experimental", "init",
        "raw-logs", "rootless", "validate", "version", "help", "disable-legacy-registry", "cri-containerd",
        "allow-nondistributable-artifacts-all", "ip-forward-no-drop", "userns-remap-disabled",
        "allow-direct-routing", /* Engine 28 */
        "restart",              /* deprecated, still parsed */
};

static const struct {
        const char *flag, *key;
} json_keys[] = {
        { "host", "hosts" },
        { "label", "labels" },
        { "storage-opt", "storage-opts" },
        { "add-runtime", "runtimes" },
        { "insecure-registry", "insecure-registries" },
        { "registry-mirror", "registry-mirrors" },
        { "exec-opt", "exec-opts" },
        { "log-opt", "log-opts" },
        { "authorization-plugin", "authorization-plugins" },
        { "dns-opt", "dns-opts" },
        { "dns-search", "dns-search" },
        { "default-ulimit", "default-ulimits" },
        { "cluster-store-opt", "cluster-store-opts" },
        { "node-generic-resource", "node-generic-resources" },
        { "feature", "features" },
        { "allow-nondistributable-artifacts", "allow-nondistributable-artifacts" },
};

static const char *const cli_only[] = { "config-file", "help", "version", "validate" };

void docker_flags_done(DockerFlags *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->flags[i].name);
                free(f->flags[i].value);
        }
        free(f->flags);
        *f = (DockerFlags){};
}

static bool is_boolean(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(boolean_flags); i++)
                if (streq(boolean_flags[i], name))
                        return true;
        return false;
}

static const char *short_to_long(char c) {
        for (size_t i = 0; i < ELEMENTSOF(shorthands); i++)
                if (shorthands[i].letter == c)
                        return shorthands[i].name;
        return NULL;
}

const char *docker_flag_json_key(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(json_keys); i++)
                if (streq(json_keys[i].flag, name))
                        return json_keys[i].key;
        return name;
}

bool docker_flag_is_cli_only(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(cli_only); i++)
                if (streq(cli_only[i], name))
                        return true;
        return false;
}

static int add_flag(DockerFlags *f, const char *name, size_t nlen, const char *value, size_t word,
                    size_t value_word, bool inline_value) {
        DockerFlag *n = realloc(f->flags, (f->n + 1) * sizeof(DockerFlag));
        if (!n)
                return -ENOMEM;
        f->flags = n;
        n[f->n] = (DockerFlag){
                .name = strndup(name, nlen),
                .value = value ? strdup(value) : NULL,
                .word = word,
                .value_word = value_word,
                .inline_value = inline_value,
        };
        if (!n[f->n].name || (value && !n[f->n].value)) {
                free(n[f->n].name);
                free(n[f->n].value);
                return -ENOMEM;
        }
        f->n++;
        return 0;
}

int docker_flags_parse(const WordList *argv, DockerFlags *ret) {
        DockerFlags f = {};
        size_t i = 0;
        int r = 0;

        /* Skip the program, and the subcommand of Engines before 1.12
         * ("docker daemon", "docker -d"). */
        if (argv->n > 0) {
                i = 1;
                if (streq(path_basename(argv->words[0].text), "docker") && argv->n > 1 &&
                    streq(argv->words[1].text, "daemon"))
                        i = 2;
        }
        f.first_arg = i;

        for (; i < argv->n; i++) {
                const char *w = argv->words[i].text;

                if (streq(w, "--"))
                        break;
                if (startswith(w, "--") && w[2]) {
                        const char *name = w + 2, *eq = strchr(name, '=');
                        if (eq) {
                                r = add_flag(&f, name, eq - name, eq + 1, i, i, true);
                        } else if (is_boolean(name) || i + 1 >= argv->n) {
                                r = add_flag(&f, name, strlen(name), NULL, i, i, false);
                        } else {
                                r = add_flag(&f, name, strlen(name), argv->words[i + 1].text, i, i + 1, false);
                                i++;
                        }
                } else if (w[0] == '-' && w[1] && w[1] != '-') {
                        const char *name = short_to_long(w[1]);
                        bool combined = false;

                        /* pflag reads "-Dg /x" as -D -g /x: a boolean
                         * shorthand lets the letters after it be flags. */
                        while (name && is_boolean(name) && w[2] && w[2] != '=') {
                                r = add_flag(&f, name, strlen(name), NULL, i, i, false);
                                if (r < 0)
                                        break;
                                f.flags[f.n - 1].combined = true;
                                combined = true;
                                w++;
                                name = short_to_long(w[1]);
                        }
                        if (r < 0) {
                                docker_flags_done(&f);
                                return r;
                        }
                        if (!name) {
                                /* Unknown shorthand: keep it visible, without
                                 * guessing whether it takes a value. */
                                r = add_flag(&f, w + 1, 1, NULL, i, i, false);
                        } else if (w[2] == '=') {
                                r = add_flag(&f, name, strlen(name), w + 3, i, i, true);
                        } else if (w[2]) {
                                r = add_flag(&f, name, strlen(name), w + 2, i, i, true);
                        } else if (is_boolean(name) || i + 1 >= argv->n) {
                                r = add_flag(&f, name, strlen(name), NULL, i, i, false);
                        } else {
                                r = add_flag(&f, name, strlen(name), argv->words[i + 1].text, i, i + 1, false);
                                i++;
                        }
                        if (r >= 0 && combined)
                                f.flags[f.n - 1].combined = true;
                } else
                        continue; /* a stray argument; dockerd takes none */
                if (r < 0) {
                        docker_flags_done(&f);
                        return r;
                }
        }

        *ret = f;
        return 0;
}

/* The flag whose value holds character k of word i; NULL when it is no
 * flag's value. A value is always the end of its word. */
static const DockerFlag *value_at(const WordList *argv, const DockerFlags *f, size_t i, size_t k) {
        for (size_t j = 0; j < f->n; j++) {
                const DockerFlag *fl = &f->flags[j];

                if (!fl->value || fl->value_word != i)
                        continue;
                if (!fl->inline_value || k >= strlen(argv->words[i].text) - strlen(fl->value))
                        return fl;
        }
        return NULL;
}

int docker_flags_find_unknown(const WordList *argv, const DockerFlags *f, const char *const *names, size_t *ret_word,
        const DockerFlag **ret_flag) {
        for (size_t i = 0; i < argv->n; i++) {
                const Text *t = &argv->words[i].chars;
                size_t k = text_find_flag(t, 0, t->len, TEXT_UNKNOWN);
                const DockerFlag *fl;

                if (k >= t->len)
                        continue;
                /* The first such character decides: all after it are in
                 * the same value, or it is in none. */
                fl = value_at(argv, f, i, k);
                if (fl && !strv_contains((char *const *)names, fl->name))
                        continue;
                *ret_word = i;
                *ret_flag = fl;
                return 1;
        }
        return 0;
}

const DockerFlag *docker_flags_get(const DockerFlags *f, const char *name) {
        for (size_t i = f->n; i > 0; i--)
                if (streq(f->flags[i - 1].name, name))
                        return &f->flags[i - 1];
        return NULL;
}
