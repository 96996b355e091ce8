/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What Docker holds, recorded before the move and compared after it through
 * the Engine API: the daemon's root dir, and the sets of image ids,
 * container ids and volume names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "move/move-internal.h"
#include "util/error.h"
#include "util/macro.h"
#include "util/strv.h"

int content_record(Engine *e, DockerContent *ret, char **ret_error) {
        _cleanup_(docker_content_done) DockerContent c = {};
        _cleanup_engine_containers_ EngineContainers *list = NULL;
        int r;

        /* Each list comes sorted, and empty sets are sets too. */
        r = engine_list_images(e, &c.images, ret_error);
        if (r >= 0)
                r = engine_list_containers(e, false, &list, ret_error);
        if (r >= 0)
                r = engine_list_volumes(e, &c.volumes, ret_error);
        if (r >= 0)
                r = engine_containers_ids(list, NULL, &c.containers);
        if (r >= 0)
                r = engine_containers_ids(list, "running", &c.running);
        if (r < 0)
                return r;
        *ret = c;
        c = (DockerContent){};
        return 0;
}

static int differ(const char *what, char *const *before, char *const *after, char **ret_error) {
        size_t missing = 0, extra = 0;
        const char *example = NULL;

        STRV_FOREACH(b, before)
                if (!strv_contains(after, *b)) {
                        missing++;
                        example = example ?: *b;
                }
        STRV_FOREACH(a, after)
                if (!strv_contains(before, *a))
                        extra++;
        return error_set(ret_error, -EPROTO, "%s differ: %zu missing%s%s%s, %zu unexpected", what, missing,
                         example ? " (e.g. " : "", strempty(example), example ? ")" : "", extra);
}

/* No silent change of image store: the driver and its type, and the
 * containerd dockerd talks to, as recorded before the stop. */
static int same_store(const EngineInfo *info, const StoreRecord *s, char **ret_error) {
        if (!s || !s->driver)
                return 0;
        if (!streq_ptr(info->driver, s->driver) || !streq_ptr(info->driver_type, s->driver_type))
                return error_set(ret_error, -EPROTO,
                                 "Docker came up with the storage driver %s%s%s%s, not %s%s%s%s as before: the image "
                                 "store changed, and the images of the other one are not seen",
                                 strna(info->driver), info->driver_type ? " (" : "", strempty(info->driver_type),
                                 info->driver_type ? ")" : "", s->driver, s->driver_type ? " (" : "",
                                 strempty(s->driver_type), s->driver_type ? ")" : "");
        if (!streq_ptr(info->containerd_address, s->containerd_address))
                return error_set(ret_error, -EPROTO, "Docker talks to the containerd at %s, not %s as before",
                                 strna(info->containerd_address), strna(s->containerd_address));
        return 0;
}

int verify_docker(const char *socket, const char *expected_root, const StoreRecord *store, const DockerContent *want,
                  char **ret_error) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_engine_info_ EngineInfo *info = NULL;
        _cleanup_(docker_content_done) DockerContent got = {};
        _cleanup_free_ char *root_want = move_realpath(expected_root), *root_got = NULL, *err = NULL;
        int r;

        if (!root_want)
                return -ENOMEM;
        r = docker_open(socket, &e);
        if (r >= 0)
                r = engine_wait_ready(e, ENGINE_TIMEOUT_MS, &err);
        if (r < 0)
                return error_set(ret_error, -EPROTO, "the Engine API does not answer on %s: %s", socket,
                                 err ?: strerror(-r));
        r = engine_info(e, &info, &err);
        if (r < 0)
                return error_set(ret_error, -EPROTO, "GET /info failed: %s", strna(err));
        root_got = move_realpath(strempty(info->docker_root_dir));
        if (!root_got)
                return -ENOMEM;
        if (!streq(root_got, root_want))
                return error_set(ret_error, -EPROTO, "Docker runs on %s, not %s", root_got, root_want);
        r = same_store(info, store, ret_error);
        if (r < 0)
                return r;

        r = content_record(e, &got, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return error_set(ret_error, -EPROTO, "listing images, containers and volumes failed: %s", strna(err));
        if (!want->images)
                return 0;
        if (!strv_equal(got.images, want->images))
                return differ("image sets", want->images, got.images, ret_error);
        if (!strv_equal(got.containers, want->containers))
                return differ("container sets", want->containers, got.containers, ret_error);
        if (!strv_equal(got.volumes, want->volumes))
                return differ("volume sets", want->volumes, got.volumes, ret_error);
        return 0;
}

bool docker_runs_on(const char *socket, const char *root) {
        _cleanup_engine_ Engine *e = NULL;
        _cleanup_engine_info_ EngineInfo *info = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (docker_open(socket, &e) < 0 || engine_info(e, &info, NULL) < 0)
                return false;
        a = move_realpath(strempty(info->docker_root_dir));
        b = move_realpath(root);
        return a && b && streq(a, b);
}
