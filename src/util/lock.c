/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/lock.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/process.h"

int lock_file(const char *path, unsigned long long timeout_ms, int *ret_fd) {
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_close_ int dfd = -1, fd = -1;
        unsigned long long deadline = now_ms() + timeout_ms;
        struct stat st;
        int r;

        if (!dir)
                return -ENOMEM;
        /* Neither the directory nor the file through a planted link: the
         * lock is created where it is named, or not at all. */
        r = mkdir_p_nofollow(dir, 0755, NULL, &dfd);
        if (r < 0)
                return r;
        fd = openat(dfd, path_basename(path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return negative_errno();
                if (now_ms() >= deadline)
                        return -EBUSY;
                usleep(100 * 1000);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}
