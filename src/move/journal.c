/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "move/journal.h"
#include "util/fileio.h"
#include "util/json-util.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/test-hook.h"

static const char *const phase_names[] = {
        [PHASE_NONE] = "none",           [PHASE_PLANNED] = "planned",         [PHASE_PRECOPIED] = "precopied",
        [PHASE_STOPPED] = "stopped",     [PHASE_COPIED] = "copied",           [PHASE_CONFIGURED] = "configured",
        [PHASE_VERIFIED] = "verified",   [PHASE_DONE] = "done",               [PHASE_ROLLED_BACK] = "rolled-back",
        [PHASE_FAILED] = "failed",       [PHASE_UNDONE] = "undone",           [PHASE_CLEANED] = "cleaned",
        [PHASE_UNDOING] = "undoing",
};

const char *move_phase_to_string(MovePhase p) {
        return p < ELEMENTSOF(phase_names) ? phase_names[p] : "none";
}

MovePhase move_phase_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(phase_names); i++)
                if (streq(phase_names[i], s))
                        return (MovePhase) i;
        return PHASE_NONE;
}

int journal_load(const char *root, cJSON **ret) {
        _cleanup_free_ char *p = root_path(root, JOURNAL_PATH), *data = NULL;
        cJSON *j;
        int r;

        if (!p)
                return -ENOMEM;
        r = read_full_file(p, 0, &data, NULL);
        if (r < 0)
                return r;
        j = cJSON_Parse(data);
        if (!cJSON_IsObject(j)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

int journal_save(const char *root, cJSON *j) {
        _cleanup_free_ char *s = cJSON_Print(j);

        if (!s)
                return -ENOMEM;
        /* Never through a symlink planted on the way (util/fileio.h). */
        return write_file_beneath(root, JOURNAL_PATH, s, strlen(s), 0600, 0700);
}

MovePhase journal_phase(const cJSON *j) {
        return move_phase_from_string(journal_string(j, "phase"));
}

const char *journal_string(const cJSON *j, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

int journal_set_string(cJSON *j, const char *key, const char *value) {
        cJSON *v = value ? cJSON_CreateString(value) : cJSON_CreateNull();

        if (!v)
                return -ENOMEM;
        if (cJSON_GetObjectItemCaseSensitive(j, key))
                return cJSON_ReplaceItemInObjectCaseSensitive(j, key, v) ? 0 : -ENOMEM;
        return cJSON_AddItemToObject(j, key, v) ? 0 : -ENOMEM;
}

int journal_set_phase(cJSON *j, MovePhase p) {
        return journal_set_string(j, "phase", move_phase_to_string(p));
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

static int set_item(cJSON *j, const char *key, cJSON *v) {
        if (cJSON_GetObjectItemCaseSensitive(j, key))
                return cJSON_ReplaceItemInObjectCaseSensitive(j, key, v) ? 0 : -ENOMEM;
        return cJSON_AddItemToObject(j, key, v) ? 0 : -ENOMEM;
}

int journal_set_undo(cJSON *j, const char *key, const EditUndo *u) {
        _cleanup_strv_free_ char **backups = NULL;
        cJSON *a = cJSON_CreateArray(), *l;
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
        r = set_item(j, key, a);
        if (r < 0) {
                cJSON_Delete(a);
                return r;
        }
        if (!streq(key, JOURNAL_CONFIG_UNDO))
                return 0;

        /* The list earlier versions read. */
        r = edit_undo_to_backups(u, &backups);
        if (r < 0)
                return r;
        l = json_string_array(backups);
        if (!l)
                return -ENOMEM;
        r = set_item(j, JOURNAL_CONFIG_BACKUPS, l);
        if (r < 0)
                cJSON_Delete(l);
        return r;
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
                const char *path = journal_string(f, "path");

                if (!path)
                        return -EBADMSG;
                r = edit_undo_add(&u, path, journal_string(f, "backup"), journal_string(f, "new"));
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

int lock_acquire(const char *root, int *ret_fd) {
        _cleanup_free_ char *p = root_path(root, LOCK_PATH);
        _cleanup_close_ int fd = -1;

        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}
