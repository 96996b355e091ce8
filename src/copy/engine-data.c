/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy/engine-internal.h"
#include "util/macro.h"
#include "util/test-hook.h"

const char *const copy_method_names[] = {
        [METHOD_REFLINK] = "reflink",
        [METHOD_COPY_FILE_RANGE] = "copy_file_range",
        [METHOD_SENDFILE] = "sendfile",
        [METHOD_READ_WRITE] = "read/write",
};

/* ---- file data ---------------------------------------------------------------- */

static void downgrade(Run *r, Method from) {
        int m = (int) from;
        /* Only ever towards the plainer ways; another thread may have got
         * further already. */
        atomic_compare_exchange_strong(&r->method, &m, (int) from + 1);
}

/* The errnos with which a filesystem (or the kernel) declines a way of
 * copying, as opposed to failing it. */
static bool refused(int e) {
        return e == EXDEV || e == EOPNOTSUPP || e == EINVAL || e == ENOSYS || e == ENOTTY || e == EBADF;
}

/* Whether the live pass may take a copy of in cut short (the source ended
 * at offset at, or its data moved under the copy): when the file shrank
 * below what was read, or was written to since it was opened (attributes
 * a: a log truncated and written again, a file rewritten in place). Docker
 * runs during the live pass, and the final pass copies again every file
 * whose times or size differ from the copy's, or that changed since the
 * record began. The final pass, with Docker stopped, takes nothing short:
 * a source that ends early there is a short copy, never a complete one. */
static bool source_moved(Run *r, int in, const Attrs *a, uint64_t at) {
        struct stat st;

        test_hook_pause("copy-source-ended");
        if (r->o->pass != COPY_PASS_LIVE || fstat(in, &st) < 0)
                return false;
        if ((uint64_t) st.st_size < a->size && (uint64_t) st.st_size <= at)
                return true;
        return (uint64_t) st.st_size != a->size || ts_ns(st.st_ctim) != a->ctime_ns ||
               ts_ns(st.st_mtim) != ts_ns(a->mtime);
}

/* Copies [off, off + len) of in to the same offsets of out; stops early at
 * the source's end only where source_ended() allows it. */
static int copy_range(Worker *w, int in, int out, const Attrs *a, uint64_t off, uint64_t len, uint64_t *done) {
        Run *r = w->run;
        uint64_t end = off + len;
        bool reread = false;

        while (off < end) {
                size_t want = end - off > COPY_CHUNK ? COPY_CHUNK : (size_t) (end - off);
                ssize_t n;
                Method m = reread ? METHOD_READ_WRITE : (Method) atomic_load_explicit(&r->method, memory_order_relaxed);

                switch (m) {
                case METHOD_REFLINK:
                        /* Whole files only; handled by the caller. */
                        downgrade(r, m);
                        continue;
                case METHOD_COPY_FILE_RANGE: {
                        loff_t i = (loff_t) off, o = (loff_t) off;
                        n = copy_file_range(in, &i, out, &o, want, 0);
                        if (n < 0 && refused(errno) && !r->method_fixed) {
                                downgrade(r, m);
                                continue;
                        }
                        break;
                }
                case METHOD_SENDFILE: {
                        off_t i = (off_t) off;
                        if (w->out_pos != off && lseek(out, (off_t) off, SEEK_SET) < 0)
                                return negative_errno();
                        w->out_pos = off;
                        n = sendfile(out, in, &i, want);
                        if (n > 0)
                                w->out_pos += (uint64_t) n;
                        if (n < 0 && refused(errno) && !r->method_fixed) {
                                downgrade(r, m);
                                continue;
                        }
                        break;
                }
                default: {
                        ssize_t k;
                        n = pread(in, w->buf, want > RW_BUFFER ? RW_BUFFER : want, (off_t) off);
                        if (n <= 0)
                                break;
                        for (ssize_t p = 0; p < n; p += k) {
                                k = pwrite(out, w->buf + p, (size_t) (n - p), (off_t) (off + (uint64_t) p));
                                if (k < 0) {
                                        if (errno == EINTR) {
                                                k = 0;
                                                continue;
                                        }
                                        return negative_errno();
                                }
                        }
                        break;
                }
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0) {
                        /* copy_file_range() and sendfile() may stop short
                         * of the end (filesystems that do not support them
                         * fully): read before taking it for the end. */
                        if (m != METHOD_READ_WRITE) {
                                reread = true;
                                continue;
                        }
                        if (!source_moved(r, in, a, off))
                                return -ENODATA;
                        break;
                }
                reread = false;
                if (len >= BIG_FILE)
                        /* Start writing it back now: the disk writes while
                         * the copy still reads, instead of all at the
                         * final sync. */
                        (void) sync_file_range(out, (off_t) off, n, SYNC_FILE_RANGE_WRITE);
                off += (uint64_t) n;
                *done += (uint64_t) n;
                if (len >= BIG_FILE) {
                        atomic_fetch_add_explicit(&r->progress_bytes, (uint64_t) n, memory_order_relaxed);
                        w->counted += (uint64_t) n;
                }
        }
        return 0;
}

/* Copies the data of in (attributes a) into the empty or truncated out,
 * keeping holes. Returns the bytes of data written. */
int copy_file_data(Worker *w, int in, int out, const Attrs *a, uint64_t *ret_bytes) {
        Run *r = w->run;
        uint64_t done = 0, pos = 0;
        int k;

        *ret_bytes = 0;
        if (a->size == 0)
                return 0;
        if (atomic_load_explicit(&r->method, memory_order_relaxed) == METHOD_REFLINK) {
                if (ioctl(out, FICLONE, in) >= 0) {
                        *ret_bytes = a->size;
                        return 0;
                }
                if (!refused(errno) || r->method_fixed)
                        return negative_errno();
                downgrade(r, METHOD_REFLINK);
        }
        if (a->size >= BIG_FILE)
                (void) posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
        w->out_pos = 0;

        if (a->size <= RW_BUFFER && a->blocks * 512 >= a->size &&
                atomic_load_explicit(&r->method, memory_order_relaxed) >= METHOD_SENDFILE) {
                /* Small and without holes, with no copy inside the kernel
                 * to be had: one read and one write beat any other way. */
                ssize_t n = 0, m = 0;
                while ((uint64_t) n < a->size) {
                        ssize_t got = pread(in, w->buf + n, a->size - (uint64_t) n, n);
                        if (got < 0 && errno == EINTR)
                                continue;
                        if (got < 0)
                                return negative_errno();
                        if (got == 0) {
                                if (!source_moved(r, in, a, (uint64_t) n))
                                        return -ENODATA;
                                break;
                        }
                        n += got;
                }
                for (ssize_t p = 0; p < n; p += m) {
                        m = pwrite(out, w->buf + p, (size_t) (n - p), p);
                        if (m < 0) {
                                if (errno == EINTR) {
                                        m = 0;
                                        continue;
                                }
                                return negative_errno();
                        }
                }
                *ret_bytes = (uint64_t) n;
                return 0;
        }

        if (a->blocks * 512 >= a->size) {
                /* Fully allocated: no holes to look for. */
                k = copy_range(w, in, out, a, 0, a->size, &done);
                if (k < 0)
                        return k;
                pos = a->size;
        } else {
                for (;;) {
                        off_t data = lseek(in, (off_t) pos, SEEK_DATA), hole;
                        if (data < 0) {
                                if (errno == ENXIO)
                                        break; /* only a hole is left */
                                return negative_errno();
                        }
                        hole = lseek(in, data, SEEK_HOLE);
                        if (hole < 0) {
                                /* ENXIO: the file ended after data, cut
                                 * since SEEK_DATA found it. */
                                if (errno == ENXIO && source_moved(r, in, a, (uint64_t) data))
                                        break;
                                return errno == ENXIO ? -ENODATA : negative_errno();
                        }
                        k = copy_range(w, in, out, a, (uint64_t) data, (uint64_t) (hole - data), &done);
                        if (k < 0)
                                return k;
                        pos = (uint64_t) hole;
                        if (pos >= a->size)
                                break;
                }
                /* A hole at the end is only a size. */
                if (ftruncate(out, (off_t) a->size) < 0)
                        return negative_errno();
        }
        *ret_bytes = done;
        return 0;
}
