/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "move/journal.h"
#include "util/backup.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/string-table.h"
#include "util/strv.h"
#include "util/test-hook.h"

/* The names are the journal format: never change one. */
static const char *const move_phase_table[] = {
        [PHASE_NONE] = "none",
        [PHASE_PLANNED] = "planned",
        [PHASE_PRECOPIED] = "precopied",
        [PHASE_STOPPED] = "stopped",
        [PHASE_COPIED] = "copied",
        [PHASE_CONFIGURED] = "configured",
        [PHASE_VERIFIED] = "verified",
        [PHASE_DONE] = "done",
        [PHASE_ROLLED_BACK] = "rolled-back",
        [PHASE_FAILED] = "failed",
        [PHASE_UNDONE] = "undone",
        [PHASE_CLEANED] = "cleaned",
        [PHASE_UNDOING] = "undoing",
        [PHASE_ROLLING_BACK] = "rolling-back",
};

DEFINE_STRING_TABLE_LOOKUP(move_phase, MovePhase);

void docker_content_done(DockerContent *c) {
        if (!c)
                return;
        strv_free(c->images);
        strv_free(c->containers);
        strv_free(c->running);
        strv_free(c->volumes);
        *c = (DockerContent){};
}

int journal_load(const char *root, cJSON **ret) {
        _cleanup_free_ char *p = root_path(root, JOURNAL_PATH);

        if (!p)
                return -ENOMEM;
        return json_parse_file(p, ret);
}

int journal_save(const char *root, cJSON *j) {
        /* Never through a symlink planted on the way (util/fileio.h). */
        return json_write_file_beneath(root, JOURNAL_PATH, j, 0700, 0600);
}

MovePhase journal_phase(const cJSON *j) {
        /* A phase this version does not know is no move it can act on. */
        MovePhase p = move_phase_from_string(json_get_string(j, "phase"));
        return p < 0 ? PHASE_NONE : p;
}

int journal_set_phase(cJSON *j, MovePhase p) {
        return json_set_string(j, "phase", move_phase_to_string(p));
}

int journal_save_phase(cJSON *j, MovePhase p) {
        int r;

        if (!j)
                return 0;
        r = journal_set_phase(j, p);
        if (r < 0)
                return r;
        return journal_save(NULL, j);
}

int journal_mark_removing(cJSON *j, const char *dir) {
        int r;

        if (!j)
                return -EINVAL;
        r = json_set(j, JOURNAL_REMOVING_OLD, cJSON_CreateString(dir));
        return r < 0 ? r : journal_save(NULL, j);
}

int journal_add_step(cJSON *j, const char *name, double seconds) {
        cJSON *steps = cJSON_GetObjectItemCaseSensitive(j, "steps"), *s;

        if (!steps) {
                steps = cJSON_AddArrayToObject(j, "steps");
                if (!steps)
                        return -ENOMEM;
        }
        s = cJSON_CreateObject();
        if (!s)
                return -ENOMEM;
        cJSON_AddStringToObject(s, "name", name);
        cJSON_AddNumberToObject(s, "seconds", seconds);
        cJSON_AddItemToArray(steps, s);
        return 0;
}

int journal_new(const char *init_system, const char *socket, const char *old_root, const char *new_root,
                const char *device, const char *mount, cJSON **ret) {
        _cleanup_json_ cJSON *j = cJSON_CreateObject();
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        if (!j)
                return -ENOMEM;
        if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;
        if (!cJSON_AddNumberToObject(j, "version", 1) || !cJSON_AddStringToObject(j, "started", stamp) ||
            !json_add_string_or_null(j, "init_system", init_system) || !json_add_string_or_null(j, "socket", socket) ||
            !json_add_string_or_null(j, "old_data_root", old_root) ||
            !json_add_string_or_null(j, "new_data_root", new_root) || !json_add_string_or_null(j, "device", device) ||
            !json_add_string_or_null(j, "mount", mount) || journal_set_phase(j, PHASE_PLANNED) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

int journal_set_content(cJSON *j, const DockerContent *c) {
        cJSON *rec = cJSON_CreateObject();

        if (!rec)
                return -ENOMEM;
        if (!cJSON_AddItemToObject(rec, "images", json_string_array(c->images)) ||
            !cJSON_AddItemToObject(rec, "containers", json_string_array(c->containers)) ||
            !cJSON_AddItemToObject(rec, "volumes", json_string_array(c->volumes)) ||
            !cJSON_AddItemToObject(rec, "running", json_string_array(c->running))) {
                cJSON_Delete(rec);
                return -ENOMEM;
        }
        return json_set(j, "recorded", rec);
}

int journal_get_content(const cJSON *j, DockerContent *ret) {
        _cleanup_(docker_content_done) DockerContent c = {};
        const cJSON *rec = cJSON_GetObjectItemCaseSensitive(j, "recorded");
        int r;

        if (!cJSON_IsObject(rec))
                return -ENOENT;
        if ((r = json_get_strv(rec, "images", &c.images)) < 0 ||
            (r = json_get_strv(rec, "containers", &c.containers)) < 0 ||
            (r = json_get_strv(rec, "volumes", &c.volumes)) < 0 || (r = json_get_strv(rec, "running", &c.running)) < 0)
                return r == -ENOENT ? -EBADMSG : r;
        *ret = c;
        c = (DockerContent){};
        return 0;
}

void store_record_done(StoreRecord *s) {
        if (!s)
                return;
        free(s->store);
        free(s->driver);
        free(s->driver_type);
        free(s->containerd_kind);
        free(s->containerd_address);
        free(s->containerd_socket);
        free(s->containerd_config);
        free(s->containerd_state);
        free(s->old_containerd_root);
        free(s->new_containerd_root);
        *s = (StoreRecord){};
}

int journal_set_store(cJSON *j, const StoreRecord *s) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();
        cJSON *c;

        if (!o || !json_add_string_or_null(o, "store", s->store) || !json_add_string_or_null(o, "driver", s->driver) ||
            !json_add_string_or_null(o, "driver_type", s->driver_type) ||
            !json_add_string_or_null(o, "containerd_kind", s->containerd_kind) ||
            !json_add_string_or_null(o, "containerd_address", s->containerd_address) ||
            !json_add_string_or_null(o, "containerd_socket", s->containerd_socket))
                return -ENOMEM;
        if (s->containerd_moves) {
                c = cJSON_AddObjectToObject(o, "containerd");
                if (!c || !json_add_string_or_null(c, "config", s->containerd_config) ||
                    !json_add_string_or_null(c, "state", s->containerd_state) ||
                    !json_add_string_or_null(c, "old_root", s->old_containerd_root) ||
                    !json_add_string_or_null(c, "new_root", s->new_containerd_root))
                        return -ENOMEM;
        }
        return json_set(j, "image_store", TAKE_PTR(o));
}

static int dup_string(const cJSON *o, const char *key, char **ret) {
        const char *v = json_get_string(o, key);

        *ret = v ? strdup(v) : NULL;
        return v && !*ret ? -ENOMEM : 0;
}

int journal_get_store(const cJSON *j, StoreRecord *ret) {
        _cleanup_(store_record_done) StoreRecord s = {};
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "image_store"), *c;
        int r;

        if (!cJSON_IsObject(o))
                return -ENOENT;
        if ((r = dup_string(o, "store", &s.store)) < 0 || (r = dup_string(o, "driver", &s.driver)) < 0 ||
            (r = dup_string(o, "driver_type", &s.driver_type)) < 0 ||
            (r = dup_string(o, "containerd_kind", &s.containerd_kind)) < 0 ||
            (r = dup_string(o, "containerd_address", &s.containerd_address)) < 0 ||
            (r = dup_string(o, "containerd_socket", &s.containerd_socket)) < 0)
                return r;
        c = cJSON_GetObjectItemCaseSensitive(o, "containerd");
        if (cJSON_IsObject(c)) {
                if ((r = dup_string(c, "config", &s.containerd_config)) < 0 ||
                    (r = dup_string(c, "state", &s.containerd_state)) < 0 ||
                    (r = dup_string(c, "old_root", &s.old_containerd_root)) < 0 ||
                    (r = dup_string(c, "new_root", &s.new_containerd_root)) < 0)
                        return r;
                /* A record that cannot say where either tree is moves nothing
                 * this version could put back. */
                if (!s.old_containerd_root || !s.new_containerd_root)
                        return -EBADMSG;
                s.containerd_moves = true;
        }
        *ret = s;
        s = (StoreRecord){};
        return 0;
}

bool journal_has_step(const cJSON *j, const char *name, size_t from) {
        const cJSON *s;
        size_t i = 0;

        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(j, "steps"))
                if (i++ >= from && streq_ptr(json_get_string(s, "name"), name))
                        return true;
        return false;
}

size_t journal_n_steps(const cJSON *j) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "steps");

        return cJSON_IsArray(s) ? (size_t) cJSON_GetArraySize(s) : 0;
}

int journal_set_undo(cJSON *j, const char *key, const EditUndo *u) {
        _cleanup_strv_free_ char **backups = NULL;
        cJSON *a = cJSON_CreateArray();
        int r;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < u->n; i++) {
                cJSON *f = cJSON_CreateObject();

                if (!f || !cJSON_AddItemToArray(a, f) || !cJSON_AddStringToObject(f, "path", u->files[i].path) ||
                    !(u->files[i].backup ? cJSON_AddStringToObject(f, "backup", u->files[i].backup)
                                         : cJSON_AddNullToObject(f, "backup")) ||
                    !(u->files[i].new ? cJSON_AddStringToObject(f, "new", u->files[i].new)
                                      : cJSON_AddNullToObject(f, "new")) ||
                    (u->files[i].made_dir && !cJSON_AddStringToObject(f, "made_dir", u->files[i].made_dir))) {
                        cJSON_Delete(a);
                        return -ENOMEM;
                }
        }
        r = json_set(j, key, a);
        if (r < 0)
                return r;
        if (!streq(key, JOURNAL_CONFIG_UNDO))
                return 0;

        /* The list earlier versions read. */
        r = edit_undo_to_backups(u, &backups);
        if (r < 0)
                return r;
        return json_set(j, JOURNAL_CONFIG_BACKUPS, json_string_array(backups));
}

int journal_get_undo(const cJSON *j, const char *key, EditUndo *ret) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key), *f;
        int r;

        if (!a && streq(key, JOURNAL_CONFIG_UNDO)) {
                /* A journal of an earlier version: backups only. */
                const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, JOURNAL_CONFIG_BACKUPS), *i;
                _cleanup_strv_free_ char **backups = NULL;

                if (!cJSON_IsArray(b))
                        return -ENOENT;
                cJSON_ArrayForEach(i, b)
                        if (cJSON_IsString(i)) {
                                r = strv_extend(&backups, i->valuestring);
                                if (r < 0)
                                        return r;
                        }
                return edit_undo_from_backups(backups, ret);
        }
        if (!cJSON_IsArray(a))
                return -ENOENT;
        cJSON_ArrayForEach(f, a) {
                const char *path = json_get_string(f, "path");

                if (!path)
                        return -EBADMSG;
                r = edit_undo_add(&u, path, json_get_string(f, "backup"), json_get_string(f, "new"));
                if (r >= 0)
                        r = edit_undo_set_made_dir(&u, json_get_string(f, "made_dir"));
                if (r < 0)
                        return r;
        }
        *ret = u;
        u = (EditUndo){};
        return 0;
}

int journal_apply_plan(const char *root, cJSON *j, const char *key, const EditPlan *p) {
        _cleanup_(edit_undo_done) EditUndo u = {};
        int r;

        r = edit_plan_backup(p, root, &u);
        if (r < 0)
                return r;
        r = journal_set_undo(j, key, &u);
        if (r < 0)
                return r;
        /* The record reaches the disk before any file is changed. */
        r = journal_save(root, j);
        if (r < 0)
                return r;
        /* Test hooks: killed after the record, after each file
         * (edit_plan_write), after the last file. */
        test_hook_crash("config-recorded");
        r = edit_plan_write(p, root, &u);
        if (r < 0)
                return r;
        test_hook_crash("config-written");
        /* Best effort: a backup left over is no harm. */
        (void) journal_prune_backups(root, j, p);
        return 0;
}

/* Every backup a record of j names: those are never pruned. */
static int journal_backups(const cJSON *j, char ***ret) {
        static const char *const keys[] = { JOURNAL_CONFIG_UNDO, JOURNAL_ROLLBACK_UNDO };
        _cleanup_strv_free_ char **l = NULL;
        const cJSON *a, *i;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                a = cJSON_GetObjectItemCaseSensitive(j, keys[k]);
                cJSON_ArrayForEach(i, a) {
                        const char *b = json_get_string(i, "backup");

                        if (b && (r = strv_extend(&l, b)) < 0)
                                return r;
                }
        }
        /* "PATH=BACKUP", of earlier versions. */
        a = cJSON_GetObjectItemCaseSensitive(j, JOURNAL_CONFIG_BACKUPS);
        cJSON_ArrayForEach(i, a) {
                const char *eq = cJSON_IsString(i) ? strchr(i->valuestring, '=') : NULL;

                if (eq && eq[1] && (r = strv_extend(&l, eq + 1)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int journal_prune_backups(const char *root, const cJSON *j, const EditPlan *p) {
        _cleanup_strv_free_ char **keep = NULL;
        int r;

        r = journal_backups(j, &keep);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n; i++) {
                r = backup_prune(root, p->edits[i].path, BACKUP_KEEP, keep);
                if (r < 0)
                        return r;
        }
        return 0;
}
