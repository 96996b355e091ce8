/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The copy engine's pace (copy/pace.h): how its worker count follows the
 * CPUs. The engine under saturated CPUs is in test-copy-engine.c. */
#include <stdio.h>
#include <time.h>

#include "copy/pace.h"
#include "tap.h"

static void test_next(void) {
        ok_int(pace_next(64, 16, 64, 1.0), 32, "saturated: half the workers");
        ok_int(pace_next(32, 16, 64, PACE_SATURATED), 16, "saturated at the threshold: half");
        ok_int(pace_next(16, 16, 64, 1.0), 16, "saturated: never below the floor");
        ok_int(pace_next(20, 16, 64, 0.99), 16, "saturated: half, raised to the floor");
        ok_int(pace_next(16, 16, 64, PACE_WAITING - 0.05), 20, "waiting: a quarter more");
        ok_int(pace_next(3, 1, 64, PACE_WAITING - 0.05), 4, "waiting: at least one more");
        ok_int(pace_next(60, 16, 64, PACE_WAITING - 0.05), 64, "waiting: never above all of them");
        ok_int(pace_next(16, 16, 64, PACE_WAITING / 4), 32, "idle: twice as many");
        ok_int(pace_next(48, 16, 64, 0.0), 64, "idle: never above all of them");
        ok_int(pace_next(24, 16, 64, (PACE_WAITING + PACE_SATURATED) / 2), 24, "busy, not saturated: unchanged");
        ok_int(pace_next(24, 16, 64, -1), 24, "no time passed: unchanged");
        ok_int(pace_next(4, 4, 4, 1.0), 4, "a fixed range stays fixed");
}

static void test_floor(void) {
        ok_int(pace_floor(64, 2), 16, "2 CPUs: down to 16");
        ok_int(pace_floor(64, 8), 16, "8 CPUs: down to 16");
        ok_int(pace_floor(64, 16), 32, "16 CPUs: down to two per CPU");
        ok_int(pace_floor(64, 48), 64, "48 CPUs: all of them all the time");
        ok_int(pace_floor(8, 2), 8, "fewer workers than the floor: all of them");
}

static void test_samples(void) {
        CpuSample a, b;
        struct timespec t0, t;
        volatile unsigned long spin = 0;

        ok(cpu_busy_between(&(CpuSample){ 10, 100 }, &(CpuSample){ 60, 200 }) == 0.5, "busy share between samples");
        ok(cpu_busy_between(&(CpuSample){ 10, 100 }, &(CpuSample){ 10, 100 }) < 0, "no time passed: unknown");
        ok(cpu_sample_read(&a) == 0, "/proc/stat read");
        ok(a.total > 0 && a.busy <= a.total, "busy time within the total (%llu of %llu)",
                (unsigned long long) a.busy, (unsigned long long) a.total);
        /* 50 ms of this CPU's time: the machine's busy time grows. */
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        do {
                for (int i = 0; i < 100000; i++)
                        spin++;
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        } while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000000L);
        ok(cpu_sample_read(&b) == 0 && b.busy > a.busy && b.total > a.total, "the busy time grows with work");
        ok(cpu_busy_between(&a, &b) > 0 && cpu_busy_between(&a, &b) <= 1, "a share between 0 and 1");
}

int main(void) {
        test_next();
        test_floor();
        test_samples();
        return tap_done();
}
