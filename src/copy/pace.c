/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The copy engine's pace: how many workers may work at once (pace.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "copy/pace.h"
#include "util/macro.h"

int cpu_sample_read(CpuSample *ret) {
        _cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
        uint64_t v[8] = {};
        int n;

        if (!f)
                return -errno;
        /* cpu  user nice system idle iowait irq softirq steal [guest ...];
         * guest time is counted in user already. */
        n = fscanf(f,
                "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                " %" SCNu64,
                &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
        if (n < 4)
                return -EBADMSG;
        ret->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        ret->total = ret->busy + v[3] + v[4];
        return 0;
}

double cpu_busy_between(const CpuSample *a, const CpuSample *b) {
        if (b->total <= a->total || b->busy < a->busy)
                return -1;
        return (double) (b->busy - a->busy) / (double) (b->total - a->total);
}

unsigned pace_floor(unsigned max, unsigned cpus) {
        unsigned lo = cpus > 8 ? 2 * cpus : 16;

        return lo < max ? lo : max;
}

unsigned pace_next(unsigned limit, unsigned lo, unsigned hi, double busy) {
        unsigned next = limit;

        if (busy < 0)
                next = limit; /* unknown: the shares below would read it as idle */
        else if (busy >= PACE_SATURATED)
                next = limit / 2;
        else if (busy < PACE_WAITING / 2)
                next = limit * 2;
        else if (busy < PACE_WAITING)
                next = limit + (limit / 4 > 0 ? limit / 4 : 1);
        if (next < lo)
                next = lo;
        if (next > hi)
                next = hi;
        return next;
}
