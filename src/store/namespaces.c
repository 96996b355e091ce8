/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/namespaces.h"
#include "util/macro.h"
#include "util/process.h"
#include "util/strv.h"

void containerd_namespaces_done(ContainerdNamespaces *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].name);
        free(l->items);
        *l = (ContainerdNamespaces){};
}

int containerd_parse_names(const char *text, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        for (const char *p = text ?: ""; *p;) {
                size_t len = strcspn(p, "\n");
                size_t s = 0, e = len;

                while (s < e && strchr(" \t\r", p[s]))
                        s++;
                while (e > s && strchr(" \t\r", p[e - 1]))
                        e--;
                if (e > s) {
                        char *name = strndup(p + s, e - s);
                        if (!name)
                                return -ENOMEM;
                        r = strv_consume(&l, name);
                        if (r < 0)
                                return r;
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* ctr -a socket [-n ns] WHAT ls -q → its lines. */
static int ctr_list(const char *socket, const char *ns, const char *what, unsigned timeout_ms, char ***ret,
                    char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        char *argv[10];
        size_t n = 0;
        int status = 0, r;

        argv[n++] = (char *) "ctr";
        argv[n++] = (char *) "-a";
        argv[n++] = (char *) socket;
        if (ns) {
                argv[n++] = (char *) "-n";
                argv[n++] = (char *) ns;
        }
        argv[n++] = (char *) what;
        argv[n++] = (char *) "ls";
        argv[n++] = (char *) "-q";
        argv[n] = NULL;

        r = run_command(argv, timeout_ms, &out, &err, &status);
        if (r < 0)
                return r;
        if (status != 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(err);
                return -EIO;
        }
        return containerd_parse_names(out, ret);
}

static size_t count_or_unknown(const char *socket, const char *ns, const char *what, unsigned timeout_ms) {
        _cleanup_strv_free_ char **l = NULL;

        if (ctr_list(socket, ns, what, timeout_ms, &l, NULL) < 0)
                return CONTAINERD_NS_UNKNOWN;
        return strv_length(l);
}

int containerd_namespaces_list(const char *socket, unsigned timeout_ms, ContainerdNamespaces *ret, char **ret_error) {
        _cleanup_strv_free_ char **names = NULL;
        ContainerdNamespaces l = {};
        int r;

        if (!find_executable("ctr", NULL))
                return -ENOENT;
        r = ctr_list(socket, NULL, "namespaces", timeout_ms, &names, ret_error);
        if (r < 0)
                return r;
        strv_sort(names);

        l.items = calloc(strv_length(names) + 1, sizeof(ContainerdNamespace));
        if (!l.items)
                return -ENOMEM;
        STRV_FOREACH(name, names) {
                ContainerdNamespace *ns = &l.items[l.n];

                ns->name = strdup(*name);
                if (!ns->name) {
                        containerd_namespaces_done(&l);
                        return -ENOMEM;
                }
                l.n++;
                ns->images = count_or_unknown(socket, *name, "images", timeout_ms);
                ns->containers = count_or_unknown(socket, *name, "containers", timeout_ms);
                ns->content = count_or_unknown(socket, *name, "content", timeout_ms);
        }
        *ret = l;
        return 0;
}

bool containerd_namespace_in_use(const ContainerdNamespace *ns) {
        return ns->images != 0 || ns->containers != 0 || ns->content != 0;
}
