/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "config/containerd-binary.h"
#include "config/containerd-config.h"
#include "tap.h"
#include "tree.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

#define NEW_ROOT "/mnt/docker-data/containerd"

typedef struct Case {
        const char *name;
        const char *root_dir;
        const char *root_source;
        const char *state_dir;
        const char *error;     /* a part of the error, NULL: none */
        const char *warning;   /* a part of a warning, NULL: none expected */
        const char *refusal;   /* a part of the plan's refusal, NULL: a plan (expected.diff) */
        const char *place;     /* a part of the plan's place */
} Case;

static const Case cases[] = {
        { "none", "/var/lib/containerd", "default", "/run/containerd", NULL, NULL, NULL, "/etc/containerd/config.toml" },
        { "v2-double", "/srv/containerd", "/etc/containerd/config.toml", "/run/containerd", NULL, NULL, NULL,
          "/etc/containerd/config.toml (root)" },
        { "v3-single", "/var/lib/containerd", "/etc/containerd/config.toml", "/run/containerd", NULL, NULL, NULL,
          "/etc/containerd/config.toml (root)" },
        { "no-root", "/var/lib/containerd", "default", "/run/containerd", NULL, NULL, NULL,
          "/etc/containerd/config.toml (root)" },
        { "imports-dropin", "/var/lib/containerd", "default", "/run/containerd", NULL, NULL, NULL,
          "/etc/containerd/conf.d/docker-relocate.toml (an import of /etc/containerd/config.toml)" },
        { "imports-root", "/data/containerd", "/etc/containerd/conf.d/20-root.toml", "/run/containerd", NULL, NULL,
          NULL, "/etc/containerd/conf.d/20-root.toml (root)" },
        /* A relative glob: containerd 1.x and 2.x match it from other
         * directories; version 3 is 2.x's, version 2 either's. */
        { "relative-import", "/relative/containerd", "/etc/containerd/conf.d/50-root.toml", "/run/relative", NULL,
          "config.toml:2:11: the import 'conf.d/*.toml' is a relative pattern",
          "config.toml:2:11: the import 'conf.d/*.toml' is a relative pattern", NULL },
        { "relative-import-v3", "/relative/containerd", "/etc/containerd/conf.d/50-root.toml", "/run/relative", NULL,
          NULL, NULL, "/etc/containerd/conf.d/50-root.toml (root)" },
        { "missing-import", "/var/lib/containerd", "default", "/run/containerd", NULL,
          "/etc/containerd/missing.toml does not exist: containerd stops reading", NULL,
          "/etc/containerd/config.toml (root)" },
        { "version-higher", "/var/lib/containerd", "default", "/run/containerd",
          "/etc/containerd/conf.d/a.toml: version 3 is higher than the 2", NULL, "cannot start", NULL },
        { "invalid", "/var/lib/containerd", "default", "/run/containerd",
          "/etc/containerd/config.toml:2:8: not a TOML value", NULL, "config.toml:2:8", NULL },
        { "unit-root-flag", "/data/ctd", "--root in /lib/systemd/system/containerd.service", "/run/containerd", NULL,
          NULL, "command line", NULL },
        { "unit-config-flag", "/var/lib/k8s-containerd", "/etc/k8s/containerd.toml", "/run/containerd", NULL, NULL,
          NULL, "/etc/k8s/containerd.toml (root)" },
        { "escaped-root", "/srv/containerd", "/etc/containerd/config.toml", "/run/containerd", NULL, NULL,
          "config.toml:2:8: containerd's root is not a plain one-line string", NULL },
        { "plugin-root-path", "/var/lib/containerd", "default", "/run/containerd", NULL,
          "io.containerd.snapshotter.v1.overlayfs keeps its data in /mnt/snapshots, outside", NULL,
          "/etc/containerd/config.toml (root)" },
        { "debian-sid", "/var/lib/containerd", "default", "/run/containerd", NULL, NULL, NULL,
          "/etc/containerd/config.toml (root)" },
        { "symlink", "/var/lib/containerd", "default", "/run/containerd", NULL, NULL, NULL,
          "/etc/containerd/config.toml (root)" },
};

static bool strv_has_part(char *const *l, const char *part) {
        STRV_FOREACH(s, l)
                if (strstr(*s, part))
                        return true;
        return false;
}

static void test_case(const Case *t) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "containerd"), *cdir = path_join(dir, t->name),
                            *root = path_join(cdir, "tree"), *golden = path_join(cdir, "expected.diff"),
                            *expected = NULL, *refusal = NULL, *diff = NULL;
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};
        int r;

        r = containerd_config_load(root, INIT_SYSTEMD, NULL, &c);
        ok_int(r, 0, "%s: loads", t->name);
        if (r < 0)
                return;
        ok_streq(c.root_dir, t->root_dir, "%s: root", t->name);
        ok_streq(c.root_dir_source, t->root_source, "%s: root set by", t->name);
        ok_streq(c.state_dir, t->state_dir, "%s: state", t->name);
        if (t->error)
                ok(c.error && strstr(c.error, t->error), "%s: error (%s)", t->name, strna(c.error));
        else
                ok(!c.error, "%s: no error (%s)", t->name, strna(c.error));
        if (t->warning)
                ok(strv_has_part(c.warnings, t->warning), "%s: warns (%s)", t->name,
                   strna(c.warnings ? c.warnings[0] : NULL));
        else
                ok(strv_length(c.warnings) == 0, "%s: no warning (%s)", t->name,
                   strna(c.warnings ? c.warnings[0] : NULL));

        r = containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal);
        if (t->refusal) {
                ok_int(r, -ECANCELED, "%s: the plan is refused", t->name);
                ok(refusal && strstr(refusal, t->refusal), "%s: says why (%s)", t->name, strna(refusal));
                ok(p.n == 0, "%s: nothing planned", t->name);
                return;
        }
        ok_int(r, 0, "%s: planned (%s)", t->name, strna(refusal));
        if (r < 0)
                return;
        ok(p.place && strstr(p.place, t->place), "%s: in one place, %s (%s)", t->name, t->place, strna(p.place));
        ok_int(p.n, 1, "%s: one file written", t->name);
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), 0, "%s: the plan verifies (%s)", t->name,
               strna(refusal));
        ok_int(edit_plan_diff(&p, &diff), 0, "%s: diff", t->name);
        if (getenv("UPDATE_GOLDEN"))
                (void) write_file_atomic(golden, diff, strlen(diff), 0644);
        (void) read_full_file(golden, 0, &expected, NULL);
        ok_streq(diff, expected, "%s: the diff is %s/expected.diff", t->name, t->name);
}

static void test_imports_root_notes(void) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "containerd/imports-root/tree"), *refusal = NULL;
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};

        if (containerd_config_load(dir, INIT_SYSTEMD, NULL, &c) < 0 || containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal) < 0) {
                ok(false, "imports-root plans");
                return;
        }
        ok(strv_has_part(p.notes, "/etc/containerd/config.toml sets root too, to /var/lib/containerd"),
           "the overridden root of the main file is named, not changed");
        ok_int(strv_length(c.imports), 1, "one import pattern");
        ok_int(c.n_files, 3, "the main file and the two matches are read");
        ok_streq(c.files[1].path, "/etc/containerd/conf.d/20-root.toml", "matches in byte order");
}

/* The whole cycle on a tree of our own: plan, verify, apply, read back,
 * restore: every other byte of every file as it was. */
static void test_apply_and_restore(void) {
        char *root = tree_new("test-containerd-config");
        const char *main_toml = "# main\nversion = 3\nimports = [\"conf.d/*.toml\"]\n\n[grpc]\n  address = \"/run/c.sock\"\n";
        const char *dropin = "# the images\nroot = '/var/lib/containerd'  # default\n[plugins.x]\n  y = 1\n";
        _cleanup_(containerd_config_done) ContainerdConfig c = {}, after = {};
        _cleanup_(edit_plan_done) EditPlan p = {}, again = {};
        _cleanup_strv_free_ char **backups = NULL;
        _cleanup_free_ char *refusal = NULL, *got = NULL, *got_main = NULL;

        tree_write(root, "/etc/containerd/config.toml", main_toml);
        tree_write(root, "/etc/containerd/conf.d/10-root.toml", dropin);
        tree_mkdir(root, "/var/lib/docker-relocate");

        ok_int(containerd_config_load(root, INIT_SYSTEMD, NULL, &c), 0, "apply: loads");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "apply: planned");
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), 0, "apply: verified");
        ok_int(edit_plan_apply(&p, root, &backups), 0, "apply: written");
        got = tree_read(root, "/etc/containerd/conf.d/10-root.toml");
        ok_streq(got, "# the images\nroot = '" NEW_ROOT "'  # default\n[plugins.x]\n  y = 1\n",
                 "apply: the value alone changed, quotes and comment kept");
        got_main = tree_read(root, "/etc/containerd/config.toml");
        ok_streq(got_main, main_toml, "apply: the main file untouched");
        ok_int(containerd_config_load(root, INIT_SYSTEMD, NULL, &after), 0, "apply: loads again");
        ok_streq(after.root_dir, NEW_ROOT, "apply: containerd's root is the new one");
        ok_int(containerd_plan_set_root(&after, NEW_ROOT, &again, &refusal), 0, "apply: planned again");
        ok_int(again.n, 0, "apply: a second run plans nothing");

        ok_int(edit_plan_restore(root, backups), 0, "restore");
        free(got);
        got = tree_read(root, "/etc/containerd/conf.d/10-root.toml");
        ok_streq(got, dropin, "restore: byte for byte");
        tree_remove(root);
}

/* A plan verified against files that would make another drop-in win. */
static void test_verify_catches_override(void) {
        char *root = tree_new("test-containerd-config");
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_free_ char *refusal = NULL;

        tree_write(root, "/etc/containerd/config.toml", "version = 2\nimports = ['/etc/containerd/conf.d/*.toml']\n");
        tree_mkdir(root, "/etc/containerd/conf.d");
        ok_int(containerd_config_load(root, INIT_SYSTEMD, NULL, &c), 0, "override: loads");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "override: a drop-in planned");
        /* Another drop-in, later in byte order, appears before the plan is
         * applied: the verification must see that it would win. */
        tree_write(root, "/etc/containerd/conf.d/zz-other.toml", "root = \"/elsewhere\"\n");
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), -ECANCELED, "override: the plan no longer verifies");
        ok(refusal && strstr(refusal, "/elsewhere") && strstr(refusal, "zz-other.toml"), "override: says why (%s)",
           strna(refusal));
        tree_remove(root);
}

/* A configuration read with an overlay (the files as they were before a
 * killed run wrote them) is planned and verified from that view, not from
 * the disk: here the main file's imports and the file that sets the root
 * are the overlay's only, and the drop-in the plan writes is on disk but
 * was not there before. */
static void test_overlay_view(void) {
        char *root = tree_new("test-containerd-config");
        _cleanup_(containerd_config_done) ContainerdConfig c = {}, d = {};
        _cleanup_(edit_plan_done) EditPlan p = {}, q = {};
        _cleanup_free_ char *refusal = NULL;
        SourceSet overlay = {};

        tree_write(root, "/etc/containerd/config.toml", "version = 2\n");
        tree_mkdir(root, "/etc/containerd/conf.d");
        if (source_set_overlay(&overlay, "/etc/containerd/config.toml",
                               "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n") < 0 ||
            source_set_overlay(&overlay, "/etc/containerd/conf.d/10-a.toml", "root = '/srv/containerd'\n") < 0)
                abort();
        ok_int(containerd_config_load(root, INIT_SYSV, &overlay, &c), 0, "overlay: loads");
        ok_streq(c.root_dir, "/srv/containerd", "overlay: the root is the overlay file's");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "overlay: planned");
        ok(p.n == 1 && streq(p.edits[0].path, "/etc/containerd/conf.d/10-a.toml"), "overlay: the overlay file is edited");
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), 0, "overlay: verified against the overlay (%s)",
               strna(refusal));
        refusal = mfree(refusal);
        source_set_done(&overlay);

        /* The drop-in a killed run wrote; before it, there was none. */
        tree_write(root, "/etc/containerd/config.toml", "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n");
        tree_write(root, "/etc/containerd/conf.d/docker-relocate.toml", "root = \"/mnt/docker-data/containerd\"\n");
        if (source_set_overlay(&overlay, "/etc/containerd/conf.d/docker-relocate.toml", NULL) < 0)
                abort();
        ok_int(containerd_config_load(root, INIT_SYSV, &overlay, &d), 0, "before: loads");
        ok_streq(d.root_dir, "/var/lib/containerd", "before: the default root");
        ok_int(containerd_plan_set_root(&d, NEW_ROOT, &q, &refusal), 0, "before: planned (%s)", strna(refusal));
        ok(q.n == 1 && streq(q.edits[0].path, "/etc/containerd/conf.d/docker-relocate.toml") && !q.edits[0].old,
           "before: the drop-in is a new file, as it was before the killed run (old: %s)",
           q.n == 1 ? strna(q.edits[0].old) : "no edit");
        ok_int(containerd_plan_verify(&q, &d, NEW_ROOT, &refusal), 0, "before: verified (%s)", strna(refusal));
        source_set_done(&overlay);
        tree_remove(root);
}

/* The drop-in a plan adds carries the main file's version, whatever it is:
 * an import's version may not be higher than the main file's, and no
 * version line reads as 0. */
static void test_dropin_version(void) {
        char *root = tree_new("test-containerd-config");
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_free_ char *refusal = NULL;

        tree_write(root, "/etc/containerd/config.toml", "version = -3\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n");
        tree_mkdir(root, "/etc/containerd/conf.d");
        ok_int(containerd_config_load(root, INIT_SYSV, NULL, &c), 0, "dropin version: loads");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "dropin version: planned");
        ok(p.n == 1 && strstr(p.edits[0].new, "version = -3\n"), "dropin version: the main file's (%s)",
           p.n == 1 ? p.edits[0].new : "no edit");
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), 0, "dropin version: verified (%s)", strna(refusal));
        tree_remove(root);
}

/* An import that does not exist ends containerd's reading: a drop-in for a
 * glob after it would never be read, so the root goes into the main file. */
static void test_imports_cut(void) {
        char *root = tree_new("test-containerd-config");
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};
        _cleanup_free_ char *refusal = NULL;

        tree_write(root, "/etc/containerd/config.toml",
                   "version = 2\nimports = [\"/etc/containerd/extra.toml\", \"/etc/containerd/conf.d/*.toml\"]\n");
        tree_mkdir(root, "/etc/containerd/conf.d");
        ok_int(containerd_config_load(root, INIT_SYSV, NULL, &c), 0, "imports cut: loads");
        ok(c.imports_cut, "imports cut: the missing import ends the reading");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "imports cut: planned");
        ok(p.n == 1 && streq(p.edits[0].path, "/etc/containerd/config.toml"), "imports cut: in the main file (%s)",
           p.n == 1 ? p.edits[0].path : "no edit");
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), 0, "imports cut: verified (%s)", strna(refusal));
        tree_remove(root);
}

/* A relative glob in imports: containerd 1.x matches it from its working
 * directory, "/", 2.x from the directory of the file that names it
 * (containerd's resolveImports(), pull request 9746). The installed
 * containerd says which; without it, a main file of version 3 is 2.x's,
 * and anything else unprovable. */
static void test_relative_glob(void) {
        char *root = tree_new("test-containerd-config");
        ContainerdConfig c = {};
        EditPlan p = {};
        char *refusal = NULL;

        tree_write(root, "/etc/containerd/config.toml", "version = 2\nimports = [\"conf.d/*.toml\"]\n");
        tree_write(root, "/etc/containerd/conf.d/10-root.toml", "root = \"/beside/the/file\"\n");
        tree_write(root, "/conf.d/10-root.toml", "root = \"/from/slash\"\n");

        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 1, &c), 0, "containerd 1.x: loads");
        ok_streq(c.root_dir, "/from/slash", "containerd 1.x: the pattern matched from /");
        ok(strv_length(c.unprovable) == 0 && strv_contains(c.imports, "/conf.d/*.toml"), "containerd 1.x: proved");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "containerd 1.x: planned (%s)", strna(refusal));
        ok(p.n == 1 && streq(p.edits[0].path, "/conf.d/10-root.toml"), "containerd 1.x: in the file it reads");
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), 0, "containerd 1.x: verified (%s)", strna(refusal));
        edit_plan_done(&p);
        containerd_config_done(&c);

        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 2, &c), 0, "containerd 2.x: loads");
        ok_streq(c.root_dir, "/beside/the/file", "containerd 2.x: the pattern matched from the file's directory");
        ok(strv_length(c.unprovable) == 0, "containerd 2.x: proved");
        containerd_config_done(&c);

        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 0, &c), 0, "unknown containerd: loads");
        ok(strv_length(c.unprovable) == 1 && strstr(c.unprovable[0], "config.toml:2:11: the import 'conf.d/*.toml'"),
           "unknown containerd: the relative pattern is unprovable (%s)", strna(c.unprovable ? c.unprovable[0] : NULL));
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), -ECANCELED, "unknown containerd: refused");
        ok(p.n == 0, "unknown containerd: nothing planned");
        refusal = mfree(refusal);
        containerd_config_done(&c);

        /* The same finding twice is one unprovable entry and one warning;
         * another one met between them is not repeated in the warnings. */
        tree_write(root, "/etc/containerd/config.toml",
                   "version = 2\nimports = [\"conf.d/*.toml\", \"other/*.toml\", \"conf.d/*.toml\"]\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 0, &c), 0, "a pattern twice: loads");
        ok_int(strv_length(c.unprovable), 2, "a pattern twice: two unprovable findings");
        ok(strv_length(c.warnings) == 2 && c.unprovable && streq(c.warnings[0], c.unprovable[0]) &&
                   streq(c.warnings[1], c.unprovable[1]),
           "a pattern twice: each finding warned once (%zu warnings)", strv_length(c.warnings));
        containerd_config_done(&c);

        /* A relative path without '*' is the file's directory's for both. */
        tree_write(root, "/etc/containerd/config.toml", "version = 2\nimports = [\"conf.d/10-root.toml\"]\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 0, &c), 0, "a relative path: loads");
        ok_streq(c.root_dir, "/beside/the/file", "a relative path: from the file's directory");
        ok(strv_length(c.unprovable) == 0, "a relative path: proved");
        containerd_config_done(&c);

        /* Nothing sets the root: containerd 1.x would read a drop-in of
         * the relative glob from /conf.d, which 2.x would not: the main
         * file, which both read, is the place. 2.x takes the drop-in. */
        tree_write(root, "/etc/containerd/config.toml", "version = 2\nimports = [\"conf.d/*.toml\"]\n");
        tree_write(root, "/etc/containerd/conf.d/10-root.toml", "# nothing\n");
        tree_write(root, "/conf.d/10-root.toml", "# nothing\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 1, &c), 0, "1.x, no root set: loads");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "1.x, no root set: planned (%s)", strna(refusal));
        ok(p.n == 1 && streq(p.edits[0].path, "/etc/containerd/config.toml"),
           "1.x, no root set: in the main file (%s)", p.n ? p.edits[0].path : "nothing");
        ok(strv_has_part(p.notes, "imports a relative pattern, which containerd 1.x matches"), "1.x: the plan says why");
        ok_int(containerd_plan_verify(&p, &c, NEW_ROOT, &refusal), 0, "1.x, no root set: verified (%s)", strna(refusal));
        edit_plan_done(&p);
        containerd_config_done(&c);
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 2, &c), 0, "2.x, no root set: loads");
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), 0, "2.x, no root set: planned (%s)", strna(refusal));
        ok(p.n == 1 && streq(p.edits[0].path, "/etc/containerd/conf.d/docker-relocate.toml"),
           "2.x, no root set: a drop-in beside the file (%s)", p.n ? p.edits[0].path : "nothing");
        edit_plan_done(&p);
        containerd_config_done(&c);
        tree_remove(root);
}

/* containerd.service's ExecStart= with a specifier of the running system:
 * its --config is not known, nor its root. */
static void test_unit_unprovable(void) {
        char *root = tree_new("test-containerd-config");
        ContainerdConfig c = {};
        EditPlan p = {};
        char *refusal = NULL;

        tree_write(root, "/lib/systemd/system/containerd.service",
                   "[Service]\nExecStart=/usr/bin/containerd --config %E/containerd/config.toml\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, 2, &c), 0, "unit with %%E: loads");
        ok(c.unprovable && strstr(c.unprovable[0],
                                  "containerd.service:2: ExecStart= word '%E/containerd/config.toml' has a specifier"),
           "unit with %%E: unprovable (%s)", strna(c.unprovable ? c.unprovable[0] : NULL));
        ok_int(containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal), -ECANCELED, "unit with %%E: refused");
        free(refusal);
        containerd_config_done(&c);
        tree_remove(root);
}

/* A program at path inside root: sh running body. */
static void write_program(const char *root, const char *path, const char *body) {
        _cleanup_free_ char *script = NULL, *full = path_join(root, path);

        if (asprintf(&script, "#!/bin/sh\n%s\n", body) < 0 || !full)
                abort();
        tree_write(root, path, script);
        if (chmod(full, 0755) < 0)
                abort();
}

/* The version of the installed containerd, as its packages print it. */
static void test_binary_major(void) {
        static const struct {
                const char *body;
                int major;
                const char *why;
        } versions[] = {
                { "echo 'containerd containerd.io 1.7.27 05044ec0a9a75232cad458027ca83437aae3f4da'", 1, NULL },
                { "echo 'containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7193e4e490e9fbdc236c0e811ccaba3376'", 2,
                  NULL },
                { "echo 'containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1'", 1, NULL },
                { "echo 'not a version'", -EBADMSG, "--version' printed no version" },
                { "echo 'containerd 0.9'", -EBADMSG, "--version' printed no version" },
                { "echo 'containerd 1.7.0'; exit 3", -EIO, "--version' exited with status 3" },
                { "echo 'unknown flag' >&2; echo more >&2; exit 1", -EIO, "--version' exited with status 1: unknown flag" },
                /* Run in "/", as containerd.service runs it. */
                { "if [ \"$(pwd)\" = / ]; then echo 'containerd 1.7.0'; else echo 'containerd 2.0.0'; fi", 1, NULL },
        };
        char *root = tree_new("test-containerd-config");
        _cleanup_free_ char *bin = path_join(root, "containerd"), *missing = path_join(root, "missing"), *why = NULL;

        for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
                write_program(root, "/containerd", versions[i].body);
                why = mfree(why);
                ok_int(containerd_binary_major(bin, &why), versions[i].major, "the major version of \"%s\"",
                       versions[i].body);
                if (versions[i].why)
                        ok(why && strstr(why, versions[i].why), "says why (%s)", strna(why));
        }
        why = mfree(why);
        ok_int(containerd_binary_major(missing, &why), -ENOENT, "no such binary");
        ok(why && strstr(why, "missing is not an executable program"), "says so (%s)", strna(why));
        tree_remove(root);
}

/* Where it matters, and only there, the version is asked of the binary
 * containerd.service runs, not of the one in PATH; when it cannot tell,
 * the finding says why. */
static void test_unit_binary(void) {
        char *root = tree_new("test-containerd-config"), *path_dir = tree_new("test-containerd-config");
        _cleanup_free_ char *log = path_join(root, "asked"), *path = NULL, *old_path = strdup(getenv("PATH") ?: ""),
                            *unit_bin = path_join(root, "/usr/bin/containerd"), *body = NULL;
        ContainerdConfig c = {};

        /* The one in PATH says 2.x, the unit's 1.x. */
        write_program(path_dir, "/containerd", "echo 'containerd 2.1.4'");
        if (asprintf(&path, "%s:%s", path_dir, strempty(old_path)) < 0 || setenv("PATH", path, 1) < 0)
                abort();
        if (asprintf(&body, "echo asked >> %s; echo 'containerd containerd.io 1.7.27'", log) < 0)
                abort();
        write_program(root, "/usr/bin/containerd", body);
        tree_write(root, "/lib/systemd/system/containerd.service", "[Service]\nExecStart=containerd\n");

        /* No relative glob: nothing asks. */
        tree_write(root, "/etc/containerd/config.toml", "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, CONTAINERD_MAJOR_ASK, &c), 0, "no relative glob: loads");
        ok_streq(c.binary, unit_bin, "ExecStart=containerd is found where systemd looks");
        ok(access(log, F_OK) < 0 && c.major == 0, "no relative glob: containerd is not asked");
        containerd_config_done(&c);

        tree_write(root, "/etc/containerd/config.toml", "version = 2\nimports = [\"conf.d/*.toml\"]\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, CONTAINERD_MAJOR_ASK, &c), 0, "a relative glob: loads");
        ok_int(c.major, 1, "the unit's containerd is asked, not the one in PATH");
        ok(strv_length(c.unprovable) == 0 && strv_contains(c.imports, "/conf.d/*.toml"), "read as 1.x reads it");
        containerd_config_done(&c);
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, CONTAINERD_MAJOR_ASK, &c), 0, "again: loads");
        ok_int(c.major, 1, "again: 1.x");
        containerd_config_done(&c);
        free(body);
        body = NULL;
        ok(read_full_file(log, 0, &body, NULL) >= 0 && streq(body, "asked\n"), "asked once (%s)", strna(body));

        /* A binary that fails: unprovable, and why. */
        write_program(root, "/usr/sbin/containerd-broken", "echo 'no config' >&2; exit 1");
        tree_write(root, "/lib/systemd/system/containerd.service", "[Service]\nExecStart=/usr/sbin/containerd-broken\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, CONTAINERD_MAJOR_ASK, &c), 0, "broken: loads");
        ok(c.unprovable && strstr(c.unprovable[0], "/usr/sbin/containerd-broken --version' exited with status 1: no config"),
           "broken: the finding says why (%s)", strna(c.unprovable ? c.unprovable[0] : NULL));
        containerd_config_done(&c);

        /* ... and with a main file of version 3, read as 2.x, with a
         * warning. */
        tree_write(root, "/etc/containerd/config.toml", "version = 3\nimports = [\"conf.d/*.toml\"]\n");
        ok_int(containerd_config_load_full(root, INIT_SYSTEMD, NULL, CONTAINERD_MAJOR_ASK, &c), 0, "version 3: loads");
        ok(c.major == 2 && strv_length(c.unprovable) == 0, "version 3: read as 2.x");
        ok(strv_has_part(c.warnings, "containerd-broken --version' exited with status 1"), "version 3: warns why (%s)",
           strna(c.warnings ? c.warnings[0] : NULL));
        containerd_config_done(&c);

        setenv("PATH", old_path, 1);
        tree_remove(path_dir);
        tree_remove(root);
}

static void test_debian_sid_opt(void) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "containerd/debian-sid/tree"), *refusal = NULL;
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        _cleanup_(edit_plan_done) EditPlan p = {};

        if (containerd_config_load(dir, INIT_SYSTEMD, NULL, &c) < 0 || containerd_plan_set_root(&c, NEW_ROOT, &p, &refusal) < 0) {
                ok(false, "debian-sid plans");
                return;
        }
        ok(strv_contains(c.plugin_dirs, "io.containerd.internal.v1.opt=/var/lib/containerd/opt"),
           "Debian's opt plugin path is found");
        ok(strv_has_part(p.notes, "io.containerd.internal.v1.opt keeps its data in /var/lib/containerd/opt, which stays"),
           "the plan says it stays (%s)", strna(p.notes ? p.notes[0] : NULL));
}

static void test_refusals(void) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "containerd/v2-double/tree");
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        EditPlan p = {};
        char *refusal = NULL;

        if (containerd_config_load(dir, INIT_SYSTEMD, NULL, &c) < 0)
                return;
        ok_int(containerd_plan_set_root(&c, "relative/dir", &p, &refusal), -ECANCELED, "a relative root is refused");
        refusal = mfree(refusal);
        ok_int(containerd_plan_set_root(&c, "/mnt/it's", &p, &refusal), -ECANCELED, "a quote is refused");
        ok(refusal && strstr(refusal, "quoting"), "says why");
        refusal = mfree(refusal);
        ok_int(containerd_plan_set_root(&c, "/srv/containerd/", &p, &refusal), 0, "the current root, written otherwise");
        ok_int(p.n, 0, "plans nothing");
        edit_plan_done(&p);
}

static void test_dump(void) {
        _cleanup_free_ char *dir = path_join(fixtures_dir(), "containerd"), *p = path_join(dir, "dump-sid.toml"),
                            *text = NULL, *rdir = path_join(dir, "v2-double/tree");
        _cleanup_(containerd_dump_done) ContainerdDump d = {};
        _cleanup_(containerd_config_done) ContainerdConfig c = {};
        _cleanup_strv_free_ char **w = NULL;

        ok_int(read_full_file(p, 0, &text, NULL), 0, "the dump of sid's containerd 2.1 is there");
        ok_int(containerd_dump_parse(strempty(text), &d), 0, "it parses");
        if (!d.root_dir)
                return;
        ok_streq(d.root_dir, "/var/lib/containerd", "dump: root");
        ok_streq(d.state_dir, "/run/containerd", "dump: state");
        ok_int(d.version, 3, "dump: version 3");
        ok(strv_length(d.plugin_dirs) == 1 && strv_contains(d.plugin_dirs, "io.containerd.internal.v1.opt=/var/lib/containerd/opt"),
           "dump: the opt plugin's path, from Debian's config.toml");
        ok_int(containerd_dump_parse("version = 3\n", &d), -EBADMSG, "a dump without root is refused");

        /* Of the binary given, in "/". */
        char *tree = tree_new("test-containerd-config");
        _cleanup_free_ char *bin = path_join(tree, "containerd"), *err = NULL;
        _cleanup_(containerd_dump_done) ContainerdDump run = {};

        write_program(tree, "/containerd",
                      "[ \"$*\" = '--config /etc/c.toml config dump' ] || exit 2\necho \"root = '$(pwd)x'\"");
        ok_int(containerd_config_dump(bin, "/etc/c.toml", 10000, &run, &err), 0, "the binary given dumps (%s)", strna(err));
        ok_streq(run.root_dir, "/x", "in /");
        tree_remove(tree);

        if (containerd_config_load(rdir, INIT_SYSTEMD, NULL, &c) < 0)
                return;
        ok_int(containerd_config_check_dump(&c, &d, &w), 1, "files (/srv/containerd) and dump disagree on the root");
        ok(w && strstr(w[0], "dump says its root is /var/lib/containerd, the files say /srv/containerd"), "says so (%s)",
           strna(w ? w[0] : NULL));
}

int main(void) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                test_case(&cases[i]);
        test_imports_root_notes();
        test_apply_and_restore();
        test_verify_catches_override();
        test_overlay_view();
        test_dropin_version();
        test_imports_cut();
        test_relative_glob();
        test_unit_unprovable();
        test_binary_major();
        test_unit_binary();
        test_debian_sid_opt();
        test_refusals();
        test_dump();
        return tap_done();
}
