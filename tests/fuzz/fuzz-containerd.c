/* SPDX-License-Identifier: GPL-2.0-or-later */
/* containerd's configuration as a move edits it (config/containerd-config.c
 * on config/toml.c). The input is /etc/containerd/config.toml and, after a
 * form feed (a byte TOML allows nowhere), up to two files of
 * /etc/containerd/conf.d/ for its imports. The files stand in for the disk
 * (an overlay on a root that cannot exist), and the root is moved as a move
 * moves it. A configuration containerd would refuse must be refused; a plan
 * made must be one the program's own re-reading accepts, with containerd's
 * root at the new place; the one file it edits must parse again and keep
 * every other pair, and every byte outside the root's value or line. */
#include "config/containerd-binary.h"
#include "config/toml.h"
#include "fuzz.h"
#include "util/macro.h"
#include "util/strv.h"

#define NEW_ROOT "/mnt/docker-data/containerd"
#define ROOT_LINE "root = \"" NEW_ROOT "\"\n"
/* Under /proc nothing can be created: every file is one of the overlay's. */
#define NO_ROOT "/proc/docker-relocate-fuzz-root"

static const char *const paths[] = {
        "/etc/containerd/config.toml",
        "/etc/containerd/conf.d/10-a.toml",
        "/etc/containerd/conf.d/20-b.toml",
};

static bool same_strv(char **a, char **b) {
        if (strv_length(a) != strv_length(b))
                return false;
        for (size_t i = 0; a && a[i]; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

static bool same_pair(const TomlKeyValue *a, const TomlKeyValue *b) {
        if (!same_strv(a->table, b->table) || !same_strv(a->key, b->key) || a->type != b->type)
                return false;
        switch (a->type) {
        case TOML_STRING:
                return strcmp(a->string, b->string) == 0 && a->quote == b->quote && a->plain == b->plain;
        case TOML_STRING_ARRAY:
                return same_strv(a->strings, b->strings);
        case TOML_INTEGER:
                return a->integer == b->integer;
        default:
                return a->value_end - a->value_start == b->value_end - b->value_start;
        }
}

static bool is_top_root(const TomlKeyValue *kv) {
        return !kv->table && strv_length(kv->key) == 1 && strcmp(kv->key[0], "root") == 0;
}

/* old (NULL: a new file) became new: new parses, its top-level root is
 * NEW_ROOT, and apart from that the pairs and the bytes are old's. */
static void check_file_edit(const char *old, const char *new) {
        TomlDoc before = {}, after = {};
        const TomlKeyValue *root, *was;
        size_t i = 0, k = 0;

        fuzz_assert(toml_parse(new, strlen(new), &after, NULL, NULL) == 0);
        root = toml_get(&after, NULL, "root");
        fuzz_assert(root && root->type == TOML_STRING && strcmp(root->string, NEW_ROOT) == 0);
        if (!old) {
                toml_doc_done(&after);
                return;
        }
        fuzz_assert(toml_parse(old, strlen(old), &before, NULL, NULL) == 0);
        was = toml_get(&before, NULL, "root");

        /* The same pairs in the same order, the root aside. */
        for (;;) {
                while (i < before.n && is_top_root(&before.kv[i]))
                        i++;
                while (k < after.n && is_top_root(&after.kv[k]))
                        k++;
                if (i == before.n || k == after.n)
                        break;
                fuzz_assert(same_pair(&before.kv[i], &after.kv[k]));
                i++, k++;
        }
        fuzz_assert(i == before.n && k == after.n);

        if (was) {
                /* The value replaced between its quotes, which stay. */
                size_t tail = strlen(old) - (was->value_end - 1);
                fuzz_assert(was->quote == root->quote);
                fuzz_assert(root->value_start == was->value_start);
                fuzz_assert(strncmp(old, new, was->value_start + 1) == 0);
                fuzz_assert(strlen(new) == root->value_end - 1 + tail);
                fuzz_assert(strcmp(old + was->value_end - 1, new + root->value_end - 1) == 0);
        } else {
                /* One line added; a last line without a newline got one. */
                size_t ls = root->line_start, le = root->line_end, n_old = strlen(old), n_new = strlen(new);
                fuzz_assert(le - ls == strlen(ROOT_LINE) && strncmp(new + ls, ROOT_LINE, le - ls) == 0);
                fuzz_assert(n_new - (le - ls) == n_old || (n_new - (le - ls) == n_old + 1 && ls == n_old + 1 &&
                                                          new[n_old] == '\n'));
                fuzz_assert(strncmp(old, new, ls < n_old ? ls : n_old) == 0);
                fuzz_assert(strcmp(old + (ls < n_old ? ls : n_old), new + le) == 0);
        }
        toml_doc_done(&before);
        toml_doc_done(&after);
}

static void check_toml(const char *text) {
        TomlDoc d = {};
        size_t off = SIZE_MAX;
        const char *why = NULL;
        int r = toml_parse(text, strlen(text), &d, &off, &why);

        fuzz_assert(r == 0 || (r == -EBADMSG && why && off <= strlen(text)));
        toml_doc_done(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_string(data, size), *refusal = NULL, *part = text;
        ContainerdConfig c = {};
        ContainerdDump dump = {};
        SourceSet overlay = {};
        EditPlan p = {};
        int r;

        for (size_t i = 0; i < ELEMENTSOF(paths) && part; i++) {
                char *ff = strchr(part, '\f');

                if (ff)
                        *ff = '\0';
                check_toml(part);
                if (source_set_overlay(&overlay, paths[i], part) < 0)
                        abort();
                part = ff ? ff + 1 : NULL;
        }

        if (containerd_dump_parse(text, &dump) == 0) {
                fuzz_assert(dump.root_dir && dump.root_dir[0]);
                containerd_dump_done(&dump);
        }

        fuzz_assert(containerd_config_load(NO_ROOT, INIT_SYSV, &overlay, &c) == 0);
        fuzz_assert(c.root_dir && c.config_path);
        r = containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal);
        if (c.error)
                fuzz_assert(r == -ECANCELED);
        fuzz_assert(r == 0 || (r == -ECANCELED && refusal));
        if (r == 0) {
                /* Exactly one place, written as planned, read back as planned. */
                fuzz_assert(p.place && p.n <= 1);
                fuzz_assert(p.n == 1 || strcmp(c.root_dir, NEW_ROOT) == 0);
                for (size_t i = 0; i < p.n; i++)
                        check_file_edit(p.edits[i].old, p.edits[i].new);
                r = containerd_plan_verify(&p, &c, NEW_ROOT, &refusal);
                if (r != 0)
                        fprintf(stderr, "verify: %s\n", refusal ? refusal : "(no reason)");
                fuzz_assert(r == 0);
        }

        free(refusal);
        edit_plan_done(&p);
        containerd_config_done(&c);
        source_set_done(&overlay);
        free(text);
        return 0;
}
