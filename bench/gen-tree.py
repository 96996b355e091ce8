#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generates the file trees the benchmark imports into Docker as images.

    gen-tree.py node    DIR [--scale F]   node_modules-like: ~100k small files
                                          with lognormal sizes, hard links,
                                          symlinks, two large files, a 1 GiB
                                          sparse file, xattrs, numeric owners,
                                          nanosecond mtimes
    gen-tree.py large   DIR [--scale F]   a few large files (write bandwidth)
    gen-tree.py million DIR [--scale F]   a million tiny files (memory)

The trees are deterministic (a fixed seed): the same command makes the same
tree, so a cached data root built from it stays valid until this file
changes. Prints one line of counts at the end.
"""

import argparse
import errno
import math
import os
import random
import sys

# Contents are random bytes (so nothing compresses or deduplicates by
# accident); drawn from one pool to keep generation fast.
POOL_SIZE = 64 * 1024 * 1024


class Gen:
    def __init__(self, root, seed):
        self.root = root
        self.rng = random.Random(seed)
        self.pool = random.Random(seed + 1).randbytes(POOL_SIZE)
        self.files = 0
        self.dirs = 0
        self.links = 0
        self.symlinks = 0
        self.bytes = 0
        self.regular = []  # paths of regular files, for hard links

    def mtime_ns(self):
        # A spread of past times with nanoseconds, as a real tree has.
        return self.rng.randrange(1_500_000_000, 1_700_000_000) * 1_000_000_000 + self.rng.randrange(1_000_000_000)

    def mkdir(self, rel):
        p = os.path.join(self.root, rel)
        if not os.path.isdir(p):
            os.makedirs(p)
            self.dirs += 1
        return p

    def data(self, size):
        out = bytearray()
        while size > 0:
            off = self.rng.randrange(POOL_SIZE - 1)
            n = min(size, POOL_SIZE - off)
            out += self.pool[off:off + n]
            size -= n
        return bytes(out)

    def file(self, rel, size, mode=0o644, owner=None):
        p = os.path.join(self.root, rel)
        with open(p, 'wb') as f:
            f.write(self.data(size))
        os.chmod(p, mode)
        if owner:
            os.chown(p, *owner)
        os.utime(p, ns=(self.mtime_ns(), self.mtime_ns()))
        self.files += 1
        self.bytes += size
        self.regular.append(rel)
        return p

    def large(self, rel, size):
        p = os.path.join(self.root, rel)
        chunk = 8 * 1024 * 1024
        with open(p, 'wb') as f:
            left = size
            while left > 0:
                n = min(chunk, left)
                f.write(self.data(n))
                left -= n
        os.utime(p, ns=(self.mtime_ns(), self.mtime_ns()))
        self.files += 1
        self.bytes += size
        return p

    def sparse(self, rel, size, extents):
        p = os.path.join(self.root, rel)
        with open(p, 'wb') as f:
            f.truncate(size)
            for i in range(extents):
                f.seek((size // extents) * i + 4096 * i)
                f.write(self.data(1024 * 1024))
        os.utime(p, ns=(self.mtime_ns(), self.mtime_ns()))
        self.files += 1
        return p

    def hardlink(self, target_rel, rel):
        os.link(os.path.join(self.root, target_rel), os.path.join(self.root, rel))
        self.links += 1

    def symlink(self, target, rel):
        os.symlink(target, os.path.join(self.root, rel))
        self.symlinks += 1

    def xattr(self, rel, name, value):
        try:
            os.setxattr(os.path.join(self.root, rel), name, value, follow_symlinks=False)
        except OSError as e:
            if e.errno not in (errno.ENOTSUP, errno.EPERM):
                raise

    def finish_dir_times(self):
        # Directory mtimes last, deepest first, so that creating the
        # entries does not overwrite them.
        for dirpath, dirnames, _ in os.walk(self.root, topdown=False):
            os.utime(dirpath, ns=(self.mtime_ns(), self.mtime_ns()), follow_symlinks=False)

    def report(self):
        print(f"files={self.files} dirs={self.dirs} hardlinks={self.links} symlinks={self.symlinks} "
              f"bytes={self.bytes}")


def lognormal_size(rng, median, sigma, cap):
    return min(cap, int(rng.lognormvariate(math.log(median), sigma)))


def gen_node(g, scale, no_sparse=False):
    """node_modules/ of a big JavaScript project, plus the odd large file."""
    rng = g.rng
    n_files = int(100_000 * scale)
    n_pkgs = max(10, int(1_500 * scale))
    pkgs = []
    g.mkdir('app')
    g.mkdir('app/node_modules')
    g.mkdir('app/node_modules/.bin')
    for i in range(n_pkgs):
        # A third of the packages are nested below another one.
        if pkgs and rng.random() < 0.33:
            parent = rng.choice(pkgs)
            base = f'{parent}/node_modules'
            g.mkdir(base)
        else:
            base = 'app/node_modules'
        name = f'{base}/pkg-{i:05d}'
        g.mkdir(name)
        pkgs.append(name)

    sub = ['lib', 'dist', 'src', 'test', 'types', 'lib/internal', 'dist/esm', 'dist/cjs']
    made = 0
    per_pkg = max(1, n_files // n_pkgs)
    for name in pkgs:
        dirs = [name] + [f'{name}/{s}' for s in rng.sample(sub, rng.randrange(1, 5))]
        for d in dirs:
            g.mkdir(d)
        g.file(f'{name}/package.json', lognormal_size(rng, 900, 0.6, 64 * 1024))
        made += 1
        for k in range(max(1, int(rng.expovariate(1.0 / per_pkg)))):
            if made >= n_files:
                break
            d = rng.choice(dirs)
            owner = (1000, 1000) if rng.random() < 0.05 else None
            mode = 0o755 if rng.random() < 0.03 else 0o644
            rel = f'{d}/f{k:04d}.js'
            g.file(rel, lognormal_size(rng, 2_000, 1.9, 20 * 1024 * 1024), mode, owner)
            made += 1
            if rng.random() < 0.002:
                g.xattr(rel, 'user.origin', b'registry')
        if rng.random() < 0.5:
            g.mkdir(f'{name}/bin')
            g.file(f'{name}/bin/cli.js', 2048, 0o755)
            g.symlink(f'../{os.path.relpath(name, "app/node_modules")}/bin/cli.js',
                      f'app/node_modules/.bin/{os.path.basename(name)}')
        if rng.random() < 0.05:
            g.mkdir(f'{name}/empty')  # empty directories exist too
    # Hard links: pnpm-style deduplication across packages, ~3%.
    for i in range(int(len(g.regular) * 0.03)):
        target = rng.choice(g.regular)
        d = os.path.dirname(rng.choice(g.regular))
        rel = f'{d}/hl{i:05d}.js'
        if not os.path.lexists(os.path.join(g.root, rel)):
            g.hardlink(target, rel)
    # Relative symlinks inside packages, some dangling.
    for i in range(int(2_000 * scale)):
        d = os.path.dirname(rng.choice(g.regular))
        tgt = os.path.basename(rng.choice(g.regular)) if rng.random() < 0.9 else 'missing.js'
        g.symlink(tgt, f'{d}/sl{i:05d}.js')
    # A capability on a binary, as ping has.
    g.mkdir('app/bin')
    g.file('app/bin/ping', 64 * 1024, 0o755)
    g.xattr('app/bin/ping', 'security.capability',
            bytes.fromhex('0100000200200000000000000000000000000000'))
    # Two large files and a big sparse one.
    g.mkdir('data')
    g.large('data/model-a.bin', int(512 * 1024 * 1024 * scale))
    g.large('data/model-b.bin', int(512 * 1024 * 1024 * scale))
    if not no_sparse:
        g.sparse('data/disk.img', int(1024 * 1024 * 1024 * scale) or 4096 * 1024, 4)


def gen_large(g, scale):
    g.mkdir('blobs')
    for i in range(4):
        g.large(f'blobs/blob-{i}.bin', int(1024 * 1024 * 1024 * scale))
    g.mkdir('etc')
    for i in range(20):
        g.file(f'etc/conf-{i}', 1000)


def gen_million(g, scale):
    n = int(1_000_000 * scale)
    per_dir = 100
    for i in range(n):
        if i % per_dir == 0:
            d = f'd{i // 10_000:03d}/s{(i // per_dir) % 100:02d}'
            g.mkdir(d)
        p = os.path.join(g.root, d, f'{i:07d}')
        # Tiny files written directly: this is about inodes, not bytes.
        with open(p, 'wb') as f:
            f.write(g.pool[i % 4096:i % 4096 + (i * 37) % 700])
        g.files += 1
    g.regular = []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('kind', choices=['node', 'large', 'million'])
    ap.add_argument('dir')
    ap.add_argument('--scale', type=float, default=1.0)
    ap.add_argument('--seed', type=int, default=14)
    # Docker's importer writes the zeros of a hole: a sparse file in an
    # image is a dense one in the data root. Sparse files live in
    # containers' writable layers there; run.sh makes one in a container.
    ap.add_argument('--no-sparse', action='store_true')
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    if os.listdir(a.dir):
        sys.exit(f'{a.dir} is not empty')
    g = Gen(a.dir, a.seed)
    if a.kind == 'node':
        gen_node(g, a.scale, a.no_sparse)
    else:
        {'large': gen_large, 'million': gen_million}[a.kind](g, a.scale)
    g.finish_dir_times()
    g.report()


if __name__ == '__main__':
    main()
