/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/edit-internal.h"
#include "config/proof.h"
#include "config/refusal.h"
#include "util/backup.h"
#include "util/diff.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

void edit_plan_done(EditPlan *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->edits[i].path);
                free(p->edits[i].named);
                free(p->edits[i].old);
                free(p->edits[i].new);
                free(p->edits[i].made_dir);
        }
        free(p->edits);
        free(p->place);
        strv_free(p->notes);
        *p = (EditPlan){};
}

int edit_plan_add(EditPlan *p, const char *path, const char *old, const char *new, mode_t mode) {
        FileEdit *n;

        if (streq_ptr(old, new))
                return 0; /* nothing to change: no write, no backup */
        n = realloc(p->edits, (p->n + 1) * sizeof(FileEdit));
        if (!n)
                return -ENOMEM;
        p->edits = n;
        n[p->n] = (FileEdit){
                .path = strdup(path),
                .old = old ? strdup(old) : NULL,
                .new = new ? strdup(new) : NULL,
                .mode = mode,
        };
        if (!n[p->n].path || (old && !n[p->n].old) || (new && !n[p->n].new)) {
                free(n[p->n].path);
                free(n[p->n].old);
                free(n[p->n].new);
                return -ENOMEM;
        }
        p->n++;
        return 0;
}

int edit_plan_add_all(EditPlan *p, const EditPlan *from) {
        int r;

        for (size_t i = 0; i < from->n; i++) {
                r = edit_plan_add(p, from->edits[i].path, from->edits[i].old, from->edits[i].new, from->edits[i].mode);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Records that the last edit's file is reached as named (through a symlink). */
int edit_plan_set_named(EditPlan *p, const char *path, const char *named) {
        if (p->n == 0 || !streq(p->edits[p->n - 1].path, path) || streq(path, named))
                return 0;
        free(p->edits[p->n - 1].named);
        p->edits[p->n - 1].named = strdup(named);
        return p->edits[p->n - 1].named ? 0 : -ENOMEM;
}

static const char *access_problem(int error) {
        switch (error) {
        case EROFS:
                return "is on a read-only file system";
        case EPERM:
                return "is immutable or append-only (chattr -i / -a)";
        case EACCES:
                return "is not writable";
        default:
                return strerror(error);
        }
}

/* Whether the apply can write e the way it will: refuses what would fail
 * only once Docker is stopped, or would write where the readers do not
 * look. */
static int check_target(EditPlan *p, FileEdit *e, const char *root, char **ret_refusal) {
        _cleanup_free_ char *full = root_path(root, e->path), *dir = NULL;
        const char *named = e->named ?: e->path;
        struct stat st;
        int r;

        if (!full)
                return -ENOMEM;

        if (e->named) {
                _cleanup_free_ char *nfull = root_path(root, e->named);
                if (!nfull)
                        return -ENOMEM;
                if (path_startswith_dir(e->named, "/etc") && !path_startswith_dir(e->path, "/etc"))
                        return config_refuse(ret_refusal,
                                      "%s is reached through a symlink and really is %s, outside /etc: this program "
                                      "does not write configuration through a link that leaves /etc; change it by "
                                      "hand, or replace the link with the file.",
                                      e->named, e->path);
                if (!e->old && lstat(nfull, &st) == 0 && S_ISLNK(st.st_mode))
                        return config_refuse(ret_refusal,
                                      "%s is a symlink to %s, which does not exist (a dangling link): dockerd reads "
                                      "it as missing, and this program does not create files through a link; "
                                      "remove the link, or create %s.",
                                      e->named, e->path, e->path);
        }

        if (e->old) {
                r = file_is_mount_point(full);
                if (r < 0 && r != -ENOENT)
                        return r;
                e->in_place = r > 0;
                if (faccessat(AT_FDCWD, full, W_OK, AT_EACCESS) < 0)
                        return config_refuse(ret_refusal, "%s cannot be written: it %s.", named, access_problem(errno));
                if (e->in_place) {
                        _cleanup_free_ char *note = NULL;
                        if (asprintf(&note,
                                     "%s is a mount point (a file bind-mounted over it): it is written in place "
                                     "after its backup, as a rename cannot replace it.",
                                     named) < 0)
                                return -ENOMEM;
                        r = strv_consume(&p->notes, TAKE_PTR(note));
                        if (r < 0)
                                return r;
                        return 0;
                }
        }

        /* A new file, or one replaced by rename: its directory (or the
         * first that exists, where the rest is created) takes the entry. */
        dir = path_dirname(full);
        while (dir && lstat(dir, &st) < 0 && errno == ENOENT && !streq(dir, "/")) {
                char *up = path_dirname(dir);
                free(dir);
                dir = up;
        }
        if (!dir)
                return -ENOMEM;
        if (faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) < 0)
                return config_refuse(ret_refusal, "%s cannot be written: its directory %s %s.", named, dir,
                              access_problem(errno));
        return 0;
}

static int check_targets(EditPlan *p, const char *root, char **ret_refusal) {
        int r;

        if (p->n == 0)
                return 0;
        for (size_t i = 0; i < p->n; i++) {
                r = check_target(p, &p->edits[i], root, ret_refusal);
                if (r < 0)
                        return r;
        }
        /* The backups are written before any file is. */
        r = backup_dir_check(root);
        if (r == -ELOOP || r == -ENOTDIR)
                return config_refuse(ret_refusal,
                              "%s: a %s stands on the way to this program's backup directory, and this program "
                              "does not write backups through it; remove it.",
                              BACKUP_DIR, r == -ELOOP ? "symlink" : "file");
        return r;
}

static int prove(const DockerConfig *c, char **ret_refusal) {
        _cleanup_(proof_context_done) ProofContext ctx = {};
        int r;

        r = proof_context_init_config(c, &ctx);
        if (r < 0)
                return r;
        return config_prove(c, &ctx, ret_refusal);
}

int edit_plan_set_data_root(const DockerConfig *c, const char *new_root, EditPlan *ret, char **ret_refusal) {
        EditPlan p = {};
        const DockerFlag *flags[32];
        size_t nflags;
        int r;

        /* The plan is made from this program's reading of the files: it
         * must be the reading of their readers, or the edit lands where
         * they do not look (a CR kept after the new value, a variable that
         * the shell sets otherwise). It is also what a rollback puts back. */
        r = prove(c, ret_refusal);
        if (r < 0)
                return r;

        if (!path_is_absolute(new_root))
                return config_refuse(ret_refusal, "The data root must be an absolute path: %s", new_root);
        if (!string_is_shell_safe(new_root))
                return config_refuse(ret_refusal,
                              "The data root '%s' contains characters that would need quoting in some config file "
                              "(allowed: letters, digits and /._+-@:,).",
                              new_root);
        if (c->json_exists && !c->json_valid)
                return config_refuse(ret_refusal, "%s; fix it first, nothing was changed.", c->json_error);

        /* Already the data root, set in one place in its current form (or
         * not at all: the default): nothing to write. A flag of the
         * packaged unit is not copied into a drop-in, nor the default
         * written into a new daemon.json, only to say the same. */
        if (streq_ptr(c->data_root, new_root) && strv_length(c->conflicts) == 0 &&
            !docker_flags_get(&c->flags, "graph") &&
            !(c->json_valid && daemon_json_member(&c->json, "graph"))) {
                *ret = p;
                return 0;
        }

        nflags = docker_config_data_root_flags(c, flags, ELEMENTSOF(flags));
        if (nflags > 0) {
                r = edit_plan_flags(c, new_root, &p, ret_refusal);
                if (r < 0)
                        goto fail;
                /* The flag is the one place: the file must not say it too. */
                if (c->json_valid && (daemon_json_member(&c->json, "data-root") || daemon_json_member(&c->json, "graph"))) {
                        _cleanup_free_ char *text = NULL;
                        r = daemon_json_remove_data_root(&c->json, &text);
                        if (r >= 0)
                                r = edit_plan_add(&p, c->json_path, c->json.text, text, 0644);
                        if (r >= 0)
                                r = edit_plan_set_named(&p, c->json_path, c->json_path_named);
                        if (r >= 0)
                                r = strv_extend(&p.notes, "data-root/graph is removed from the JSON file, where it "
                                                          "conflicted with the flag.");
                        if (r < 0)
                                goto fail;
                }
        } else {
                _cleanup_free_ char *text = NULL;
                DaemonJson empty = {};

                if (c->json_exists)
                        r = daemon_json_set_data_root(&c->json, new_root, &text);
                else {
                        r = daemon_json_parse("", 0, &empty, &(unsigned){ 0 }, &(unsigned){ 0 });
                        if (r >= 0)
                                r = daemon_json_set_data_root(&empty, new_root, &text);
                        daemon_json_done(&empty);
                }
                if (r >= 0)
                        r = edit_plan_add(&p, c->json_path, c->json_exists ? c->json.text : NULL, text, 0644);
                if (r >= 0)
                        r = edit_plan_set_named(&p, c->json_path, c->json_path_named);
                if (r >= 0 && asprintf(&p.place, "%s (daemon.json)", c->json_path) < 0)
                        r = -ENOMEM;
                if (r >= 0 && c->json_valid && daemon_json_member(&c->json, "graph"))
                        r = strv_extend(&p.notes, "The removed \"graph\" key becomes \"data-root\".");
                if (r < 0)
                        goto fail;
        }

        if (!p.place) {
                p.place = strdup(c->data_root_source);
                if (!p.place) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = check_targets(&p, c->root, ret_refusal);
        if (r < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        edit_plan_done(&p);
        return r;
}

static bool mentions_data_root(const char *s) {
        return strstr(s, "data-root") || strstr(s, "graph");
}

int edit_plan_verify(const EditPlan *p, const DockerConfig *c, const char *new_root, char **ret_refusal) {
        SourceSet overlay = {};
        DockerConfig after = {};
        _cleanup_free_ char *want = path_normalize(new_root), *got = NULL;
        int r;

        if (!want)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
                r = source_set_overlay(&overlay, p->edits[i].path, p->edits[i].new);
                if (r < 0)
                        goto finish;
        }
        r = docker_config_load(c->root, c->init, &overlay, &after);
        if (r < 0)
                goto finish;

        got = path_normalize(after.data_root);
        if (!got) {
                r = -ENOMEM;
                goto finish;
        }
        if (!streq(got, want)) {
                r = config_refuse(ret_refusal,
                           "The planned change would leave dockerd's data root at %s (set in %s), not %s; nothing "
                           "was changed.",
                           after.data_root, after.data_root_source, new_root);
                goto finish;
        }
        STRV_FOREACH(m, after.conflicts)
                if (mentions_data_root(*m)) {
                        r = config_refuse(ret_refusal, "The planned change would leave a conflict: %s", *m);
                        goto finish;
                }
        if (docker_flags_get(&after.flags, "graph") || (after.json_valid && daemon_json_member(&after.json, "graph"))) {
                r = config_refuse(ret_refusal, "The planned change would leave the removed graph option in use.");
                goto finish;
        }
        /* What dockerd, systemd and sh read at the next start must be what
         * was checked above. */
        r = prove(&after, ret_refusal);
finish:
        docker_config_done(&after);
        source_set_done(&overlay);
        return r;
}


int edit_plan_diff(const EditPlan *p, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        int r = 0;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++) {
                _cleanup_free_ char *d = NULL;
                r = unified_diff(p->edits[i].path, p->edits[i].old, p->edits[i].new, &d);
                if (r < 0)
                        break;
                /* Said where the change is shown: it is how this file is written. */
                if (p->edits[i].in_place)
                        fprintf(f, "# %s is a mount point: written in place, after its backup\n",
                                p->edits[i].named ?: p->edits[i].path);
                fputs(d, f);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}
