/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fstab as libmount reads it and as this program edits it (disk/fstab.c,
 * read-only use: the edit is computed, never written): the result must name
 * the volume once, by UUID, on the mount point, and say so again when edited
 * a second time. */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "disk/fstab.h"
#include "fuzz.h"

#define UUID "0c6a2f3e-5b1d-4c9e-9a51-2f0d7e6b8c41"
#define TARGET "/mnt/docker-data"

static int write_memfd(const char *content, size_t size, char *path, size_t path_size) {
        int fd = memfd_create("fstab", MFD_CLOEXEC);

        if (fd < 0)
                abort();
        if (size > 0 && write(fd, content, size) != (ssize_t) size)
                abort();
        snprintf(path, path_size, "/proc/self/fd/%d", fd);
        return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_string(data, size), *out = NULL, *conflict = NULL, *again = NULL, path[64];
        int fd = write_memfd(text, strlen(text), path, sizeof(path)), r;

        (void) fstab_check_target(path, TARGET, NULL);
        r = fstab_edit(path, UUID, TARGET, "ext4", &out, &conflict);
        if (r == 1) {
                int fd2 = write_memfd(out, strlen(out), path, sizeof(path));
                fuzz_assert(strstr(out, "UUID=" UUID " " TARGET " ext4 ") != NULL);
                /* Idempotent: the edited table already says it. */
                fuzz_assert(fstab_edit(path, UUID, TARGET, "ext4", &again, NULL) == 0);
                close(fd2);
        }
        free(again);
        free(out);
        free(conflict);
        close(fd);
        free(text);
        return 0;
}
