/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* How many of the copy engine's workers may work at once. A copy waits on
 * its devices (many requests in flight serve it best, so the engine starts
 * all its workers) or on the CPUs: once they are all busy, more workers only
 * share them, copy no faster and take the CPUs from whatever else runs (the
 * containers, during a live pre-copy). So the count follows the machine:
 * fewer while its CPUs are saturated, more again while they idle or wait for
 * the devices. docs/PERFORMANCE.md has the measurements. */

typedef struct CpuSample {
        uint64_t busy;  /* user, nice, system, irq, softirq, steal (ticks) */
        uint64_t total; /* busy, idle and iowait */
} CpuSample;

/* The engine decides every this many nanoseconds (a /proc/stat tick is
 * 10 ms: 25 of them per CPU in between). */
#define PACE_INTERVAL_NS (250LL * 1000 * 1000)

/* The machine's CPU time so far, from /proc/stat. */
int cpu_sample_read(CpuSample *ret);
/* The share of the CPUs' time between two samples spent busy, 0 to 1; -1
 * when no time passed (a tick is 10 ms). */
double cpu_busy_between(const CpuSample *a, const CpuSample *b);

/* From this share on the CPUs are saturated; below the second one they
 * wait (for the devices, or for nothing). */
#define PACE_SATURATED 0.90
#define PACE_WAITING 0.75

/* The fewest workers the count goes down to, of at most max on a machine of
 * cpus CPUs: enough to keep every CPU and a device's queue fed while the
 * CPUs bound the copy. */
unsigned pace_floor(unsigned max, unsigned cpus);
/* The next count from the current one and how busy the CPUs were since the
 * last decision: half when saturated, a quarter more when waiting, twice as
 * many when mostly idle; always within lo..hi. */
unsigned pace_next(unsigned limit, unsigned lo, unsigned hi, double busy);
