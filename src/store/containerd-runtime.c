/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "store/containerd-runtime.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

#define METADATA_DB "/io.containerd.metadata.v1.bolt/meta.db"

static int socket_peer_pid(const char *socket_path, pid_t *ret) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct ucred cred = {};
        socklen_t len = sizeof(cred);

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        /* For a listening socket: the process that called listen(). */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return negative_errno();
        if (cred.pid <= 0)
                return -ESRCH;
        *ret = cred.pid;
        return 0;
}

int containerd_running_root(const char *socket, char **ret) {
        _cleanup_free_ char *fddir = NULL;
        struct dirent *de;
        pid_t pid;
        DIR *d;
        int r;

        r = socket_peer_pid(socket, &pid);
        if (r < 0)
                return r;
        if (asprintf(&fddir, "/proc/%d/fd", (int) pid) < 0)
                return -ENOMEM;
        d = opendir(fddir);
        if (!d)
                return negative_errno();
        r = -ENODATA;
        while ((de = readdir(d))) {
                char link[PATH_MAX + 1], *end;
                ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);

                if (n <= 0)
                        continue;
                link[n] = '\0';
                end = endswith(link, METADATA_DB);
                if (!end || end == link)
                        continue;
                *end = '\0';
                *ret = strdup(link);
                r = *ret ? 0 : -ENOMEM;
                break;
        }
        closedir(d);
        return r;
}

/* The entries of dir/NS/ for each namespace directory NS, as "NS/ID". */
static int tasks_below(const char *dir, char ***list) {
        DIR *d = opendir(dir), *nd;
        struct dirent *ns, *t;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        while (r >= 0 && (ns = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (ns->d_name[0] == '.')
                        continue;
                p = path_join(dir, ns->d_name);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                nd = opendir(p);
                if (!nd)
                        continue; /* not a namespace directory */
                while (r >= 0 && (t = readdir(nd)))
                        if (t->d_name[0] != '.')
                                r = strv_extendf(list, "%s/%s", ns->d_name, t->d_name);
                closedir(nd);
        }
        closedir(d);
        return r;
}

int containerd_leftover_tasks(const char *state_dir, char ***ret) {
        static const char *const runtimes[] = { "io.containerd.runtime.v2.task", "io.containerd.runtime.v1.linux" };
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(runtimes); i++) {
                _cleanup_free_ char *dir = path_join(state_dir, runtimes[i]);

                if (!dir)
                        return -ENOMEM;
                r = tasks_below(dir, &l);
                if (r < 0)
                        return r;
        }
        return strv_sort_take(&l, ret);
}
