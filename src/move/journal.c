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

static const char *const phase_names[] = {
        [PHASE_NONE] = "none",           [PHASE_PLANNED] = "planned",         [PHASE_PRECOPIED] = "precopied",
        [PHASE_STOPPED] = "stopped",     [PHASE_COPIED] = "copied",           [PHASE_CONFIGURED] = "configured",
        [PHASE_VERIFIED] = "verified",   [PHASE_DONE] = "done",               [PHASE_ROLLED_BACK] = "rolled-back",
        [PHASE_FAILED] = "failed",       [PHASE_UNDONE] = "undone",           [PHASE_CLEANED] = "cleaned",
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
        _cleanup_free_ char *p = root_path(root, JOURNAL_PATH), *dir = NULL, *s = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        dir = path_dirname(p);
        if (!dir)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        s = cJSON_Print(j);
        if (!s)
                return -ENOMEM;
        return write_file_atomic(p, s, strlen(s), 0600);
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
