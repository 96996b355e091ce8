/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "move/journal.h"
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
                                      : cJSON_AddNullToObject(f, "new"))) {
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
        return 0;
}
