#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# disk-signatures.py KIND FILE: writes the signature of KIND onto FILE (a loop
# device or image) where libblkid looks for it, for kinds whose tools need
# kernel drivers the test machines lack (no device-mapper, no md):
#   lvm    an LVM2 physical volume label (sector 1, with its CRC)
#   raid   an md RAID 0.90 superblock (64 KiB aligned, near the end)

import os
import struct
import sys
import zlib


def lvm_crc(data):
    # LVM's calc_crc(): the reflected CRC-32 polynomial, seeded with
    # 0xf597a6cf and without the final inversion; zlib's crc32() inverts on
    # both ends, which the two XORs undo.
    return zlib.crc32(data, 0xF597A6CF ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


def lvm(f):
    sector = bytearray(512)
    sector[0:8] = b"LABELONE"
    struct.pack_into("<Q", sector, 8, 1)       # sector_xl: the label's sector
    struct.pack_into("<I", sector, 20, 32)     # offset_xl: pv header offset
    sector[24:32] = b"LVM2 001"
    sector[32:64] = b"TESTPVUUIDTESTPVUUIDTESTPVUUID01"
    struct.pack_into("<I", sector, 16, lvm_crc(bytes(sector[20:])))
    f.seek(512)
    f.write(sector)


def raid(f):
    f.seek(0, os.SEEK_END)
    size = f.tell()
    off = (size & ~0xFFFF) - 0x10000
    sb = bytearray(4096)
    struct.pack_into("<IIII", sb, 0, 0xA92B4EFC, 0, 90, 0)  # magic, major, minor, patch
    struct.pack_into("<I", sb, 20, 0x12345678)              # set_uuid0
    f.seek(off)
    f.write(sb)


with open(sys.argv[2], "r+b") as f:
    {"lvm": lvm, "raid": raid}[sys.argv[1]](f)
    f.flush()
    os.fsync(f.fileno())
