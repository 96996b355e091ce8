# shellcheck shell=bash
# The machine's memory before each timed copy, for the benchmark scripts:
# cold caches, and memory the copy will fill touched first.
#
# The sourcing script sets PREFAULT (1: touch, 0: leave it out; run.sh's
# --no-prefault), and passes it on to the scripts it calls.

PREFAULT=${PREFAULT:-1}

# drop_caches: the page cache, dentries and inodes of the whole machine.
drop_caches() {
        sync
        echo 3 >/proc/sys/vm/drop_caches
}

# prefault_memory BYTES: touches BYTES of memory (at most what is available
# less 1 GiB) and frees it again, just before a copy. A virtual machine
# whose hypervisor takes free memory back (virtio-balloon free page
# reporting, as on the machines these figures come from) makes the first
# touch of such a page a fault in the host: after drop_caches, a copy that
# fills the page cache with the source and the target paid for it in
# memcpy and memset (13 % of its samples against 6 %, and 0.90 times the
# time when touched first: docs/PERFORMANCE.md). A host whose memory is
# its own, as an EC2 instance's, pays nothing of the kind; every copier,
# the floors too, gets the same head start.
prefault_memory() {
        [ "$PREFAULT" = 1 ] || return 0
        python3 - "$1" <<'EOT' || echo "could not touch the memory before the copy" >&2
import mmap, sys
with open("/proc/meminfo") as f:
    avail = next(int(l.split()[1]) * 1024 for l in f if l.startswith("MemAvailable:"))
size = min(int(sys.argv[1]), avail - (1 << 30)) // 4096 * 4096
if size > 0:
    m = mmap.mmap(-1, size)
    for off in range(0, size, 4096):
        m[off] = 1
EOT
}

# prefault_bytes IMAGE: what a copy of the filesystem in IMAGE fills: its
# source's pages and its target's, and 1 GiB besides.
prefault_bytes() {
        echo $(($(du -B1 "$1" | cut -f1) * 2 + (1 << 30)))
}
