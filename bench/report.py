#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prints run.sh's results as tables: per tree and run, each copier's seconds,
with and without the final sync, its ratio to the floor (the fastest read of
the source measured in the same run) and to plain rsync (same run), its CPU
seconds (user + system), its peak RSS, the fidelity verdict, and the load
average when it ended (the machine may be shared). With run.sh --move, the
downtime of each move as a client saw it, against a plain restart of the
daemon (the floor of any move) and against the stop-the-world move."""

import csv
import os
import sys
from collections import OrderedDict


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def main():
    rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
    info = {}
    if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
        for line in open(sys.argv[2]):
            parts = line.split(None, 2)
            if len(parts) == 3:
                info.setdefault(parts[0], []).append(f'{parts[1]} {parts[2].strip()}')
    runs = OrderedDict()
    for r in rows:
        runs.setdefault((r['tree'], r['run']), []).append(r)
    for (tree, run), rs in runs.items():
        print(f'\n== tree {tree}, run {run}')
        # The write bandwidth measured before this run (run.sh measures it
        # before each); the tree's other lines as they are.
        lines = [i for i in info.get(tree, [])
                 if not i.startswith('write-bandwidth-MiBps ') or i.split()[2:] in ([], [f'run={run}'])]
        for i in lines:
            print(f'   {i}')
        alloc = None
        wbw = None
        for i in lines:
            for kv in i.split():
                if kv.startswith('allocated_bytes='):
                    alloc = int(kv.split('=')[1])
            if i.startswith('write-bandwidth-MiBps '):
                wbw = fnum(i.split()[1])
        floors = [fnum(r['seconds']) for r in rs if r['copier'].startswith('floor') and r['exit'] == '0']
        floor = min(floors) if floors else None
        rsync = next((fnum(r['seconds']) for r in rs if r['copier'] == 'rsync' and r['exit'] == '0'), None)
        print(f'   {"copier":<14} {"s":>8} {"s+sync":>8} {"x floor":>8} {"x rsync":>8} {"MiB/s":>7} {"% wbw":>6} '
              f'{"cpu s":>7} {"peak RSS":>10}  {"fidelity":<9} load')
        for r in rs:
            s = fnum(r['seconds'])
            xf = f'{s / floor:.2f}' if s and floor else '-'
            xr = f'{s / rsync:.2f}' if s and rsync else '-'
            rss = f'{int(r["peak_rss_kib"]) / 1024:.1f} MiB' if r['peak_rss_kib'].isdigit() else '-'
            # Data on the target's disk per second: allocated bytes over the
            # time with the sync (over the time alone for a floor).
            t = fnum(r['seconds_with_sync']) or s
            mibs = f'{alloc / t / 1048576:.0f}' if alloc and t else '-'
            # That rate as a share of the target's write bandwidth (a copy's
            # only; a floor writes nothing).
            copies = not r['copier'].startswith('floor')
            pw = f'{alloc / t / 1048576 / wbw * 100:.0f}' if alloc and t and wbw and copies else '-'
            print(f'   {r["copier"]:<14} {r["seconds"]:>8} {r["seconds_with_sync"]:>8} {xf:>8} {xr:>8} {mibs:>7} {pw:>6} '
                  f'{r.get("cpu_seconds", "-"):>7} {rss:>10}  {r["fidelity"]:<9} {r.get("loadavg", "")}')
        if floor:
            print(f'   floor = {floor:.2f} s (fastest read of the source in this run)')
    moves(os.path.join(os.path.dirname(sys.argv[1]), 'move.tsv'))


def moves(path):
    """The moves' downtime (move.sh), per tree, as ratios of the plain
    restart's and of the stop-the-world move's, both measured in the run."""
    if not os.path.exists(path):
        return
    trees = OrderedDict()
    for r in csv.DictReader(open(path), delimiter='\t'):
        trees.setdefault(r['tree'], []).append(r)
    for tree, rs in trees.items():
        by = {r['mode']: r for r in rs if r['exit'] == '0'}
        floor = fnum(by.get('restart', {}).get('client_down'))
        stw = fnum(by.get('no-pre-copy', {}).get('client_down'))
        print(f'\n== moves, tree {tree}: Docker API unreachable, seen by a client polling every 100 ms')
        print(f'   {"what":<14} {"exit":>4} {"down s":>7} {"x restart":>9} {"x stop-world":>12} {"tool says":>9}  '
              f'steps (s); load')
        for r in rs:
            down = fnum(r['client_down'])
            xr = f'{down / floor:.2f}' if down is not None and floor else '-'
            xs = f'{down / stw:.2f}' if down is not None and stw else '-'
            print(f'   {r["mode"]:<14} {r["exit"]:>4} {r["client_down"]:>7} {xr:>9} {xs:>12} {r["tool_down"]:>9}  '
                  f'{r["steps"]}; {r["loadavg"]}')
        if floor:
            print(f'   restart = {floor:.1f} s: the daemon stopped and started by its init script, no move')


if __name__ == '__main__':
    main()
