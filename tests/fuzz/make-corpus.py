#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Writes the seed corpus of fuzz-server.c into corpus/: one small input per
# interesting path, in the harness's encoding (see run_op() there).  The
# files are checked in; run this again after changing the encoding.

import os
import struct
import sys

STRICT, SEAL, COPY = 0, 1, 2
SEALED, UNSEALED, UNSEALABLE, DEV_SHM, DISK, PIPE, DEV_ZERO, READ_ONLY, \
    HUGETLB, SOCKET, EVENTFD, WRITE_ONLY, O_PATH, DIRECTORY = range(14)
F_SEAL_SEAL, F_SEAL_GROW, F_SEAL_WRITE = 0x1, 0x4, 0x8
ARGB8888, XRGB8888, RGB565 = 0, 1, 2


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


def size(v):
    # mode 0x80: raw int32
    return bytes([0x80]) + u32(v)


def dim(v):
    return bytes([0x80]) + u32(v)


def create_pool(slot, kind, file_size, pool_size, seals=0):
    return bytes([0, slot, kind, seals]) + u32(file_size) + size(pool_size)


def create_buffer(slot, offset, width, height, stride, fmt_index):
    return (bytes([1, slot]) + size(offset) + dim(width) + dim(height) +
            bytes([0x80]) + u32(stride) + bytes([fmt_index]))


def resize(slot, new_size):
    return bytes([2, slot]) + size(new_size)


def destroy_pool(slot):
    return bytes([3, slot])


def destroy_buffer(slot):
    return bytes([4, slot])


def truncate(slot, length):
    return bytes([5, slot, 0]) + u32(length) + u32(0)


def punch(slot, offset, length):
    return bytes([5, slot, 1]) + u32(offset) + u32(length)


def access(how=0x33):
    return bytes([6, 0, how])


def ref(slot):
    return bytes([8, slot])


def unref(slot):
    return bytes([9, slot])


def module_destroy():
    return bytes([10, 0])


def client_destroy():
    return bytes([11, 0])


def header(policy, limits=0, max_bytes=0, max_pool=0):
    # limits bit 0: custom limits, two more bytes follow
    extra = bytes([max_bytes, max_pool]) if limits & 1 else b''
    return bytes([policy, limits]) + extra


def release():
    return bytes([12, 0])


# copy_to destination strides (dst_choice in fuzz-server.c)
DST_SAME, DST_MIN = 0, 1


def dst_plus(k):
    return bytes([2]) + u32(k)


def dst_too_small(k):
    return bytes([3]) + u32(k)


def dst_raw(v):
    return bytes([4]) + u32(v)


def box(x, y, w, h):
    # small box: int8 corner, width and height below 160
    return bytes([0, x & 0xff, y & 0xff, w, h])


def raw_box(x1, y1, x2, y2):
    return bytes([0x80]) + u32(x1) + u32(y1) + u32(x2) + u32(y2)


EVERYTHING = bytes([0x40])


def damage(*boxes):
    return bytes([len(boxes)]) + b''.join(boxes)


NO_DAMAGE = bytes([0x80])  # NULL: the whole buffer


def dst(choice):
    return bytes([choice]) if isinstance(choice, int) else choice


def region_access(how, dmg, choice=DST_SAME):
    # how: 1 nested begin_access, 2 write, 4 read every byte, 8 copy_to
    # from inside the access
    return bytes([13, 0, how]) + dst(choice) + dmg


def copy_to(choice, dmg):
    return bytes([14, 0, 0]) + dst(choice) + dmg


W, H = 32, 16
BUF = W * H * 4
seeds = {
    'sealed-buffer-access':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + access(),
    'unsealed-strict':
        header(STRICT) + create_pool(0, UNSEALED, BUF, BUF),
    'unsealed-seal-tier':
        header(SEAL) + create_pool(0, UNSEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, XRGB8888) + truncate(0, 0) +
        access(),
    'copy-tier-truncated':
        header(COPY) + create_pool(0, UNSEALABLE, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + access(0x31) +
        truncate(0, BUF // 2) + access(0x33),
    'copy-tier-disk-write-back':
        header(COPY) + create_pool(0, DISK, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + access(0x32),
    'resize-beyond-file':
        header(STRICT) + create_pool(0, SEALED, 4096, 4096) +
        resize(0, 1 << 20) + create_buffer(0, 0, 64, 4096, 256, ARGB8888) +
        access(),
    'resize-after-growth':
        header(STRICT) + create_pool(0, SEALED, 4096, 4096) +
        bytes([5, 0, 2]) + u32(65536) + u32(0) + resize(0, 65536) +
        create_buffer(1, 4096, 64, 64, 256, XRGB8888) + access(),
    'resize-smaller':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) + resize(0, 16),
    'punch-hole-displayed':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF, F_SEAL_SEAL) +
        create_buffer(0, 0, W, H, W * 4, XRGB8888) + access() +
        punch(0, 0, BUF) + access(),
    'write-sealed':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF,
                                     F_SEAL_WRITE | F_SEAL_GROW) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + access(0x32),
    'read-only-fd':
        header(STRICT) + create_pool(0, READ_ONLY, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + access(0x32),
    'special-fds':
        header(COPY) + create_pool(0, PIPE, 4096, 4096),
    'hugetlb':
        header(COPY) + create_pool(0, HUGETLB, 0, 4096),
    'bad-geometry-overflow':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, 0x7fffffff, 2, 0x7ffffffc, ARGB8888),
    'bad-format':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) +
        bytes([1, 0]) + size(0) + dim(W) + dim(H) + bytes([0x80]) +
        u32(W * 4) + bytes([0x80]) + u32(0xdeadbeef),
    'ref-outlives-client':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + ref(0) +
        destroy_buffer(0) + destroy_pool(0) + access() + client_destroy() +
        access() + unref(0),
    'module-destroyed-mid-session':
        header(SEAL) + create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, RGB565) + ref(1) + module_destroy() +
        create_pool(1, SEALED, BUF, BUF) + access(),
    'pool-limit':
        header(STRICT, 0x03, 15, 15) + b''.join(
            create_pool(i, SEALED, 4096, 4096) for i in range(4)),
    'byte-limit':
        header(STRICT, 0x0f, 1, 15) + b''.join(
            create_pool(i, SEALED, 32768, 32768) for i in range(3)),
    'extra-formats':
        header(STRICT, 0x10) + bytes([1, 8]) +
        create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 2, 8) + access(),
    'region-access-mapped':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) +
        region_access(0x0d, damage(box(-4, 3, 10, 5), box(20, 8, 40, 2))),
    'region-access-copy-tier':
        header(COPY) + create_pool(0, UNSEALABLE, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) +
        region_access(0x0f, damage(box(2, 2, 4, 4), box(-100, 10, 50, 3)),
                      DST_MIN) +
        truncate(0, BUF // 3) + region_access(0x06, damage(EVERYTHING)),
    'region-access-empty':
        header(COPY) + create_pool(0, DISK, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, XRGB8888) +
        region_access(0x0a, damage()) +
        region_access(0x02, damage(box(100, 100, 20, 20))),
    'copy-to-mapped':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) +
        copy_to(DST_SAME, NO_DAMAGE) +
        copy_to(dst_plus(12), damage(box(1, 1, 5, 5), box(0, 9, 32, 4))) +
        punch(0, 0, BUF // 2) + copy_to(DST_MIN, damage(box(-3, -3, 9, 40))),
    'copy-to-copy-tier':
        header(COPY) + create_pool(0, UNSEALABLE, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) +
        copy_to(DST_SAME, damage(box(0, 2, 32, 6))) +
        truncate(0, BUF // 2) + copy_to(dst_plus(3), NO_DAMAGE) +
        bytes([5, 0, 2]) + u32(BUF) + u32(0) +
        copy_to(DST_MIN, damage(box(5, 0, 3, 16))),
    'copy-to-pool-beyond-file':
        header(COPY) + create_pool(0, UNSEALABLE, 4096, 1 << 20) +
        create_buffer(0, 0, 64, 256, 256, XRGB8888) +
        copy_to(DST_SAME, damage(EVERYTHING)) + resize(0, 1 << 21) +
        region_access(0x0c, NO_DAMAGE, DST_MIN),
    'copy-to-bad-stride':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, RGB565) +
        copy_to(dst_too_small(0), NO_DAMAGE) +
        copy_to(dst_raw(-4), damage(box(0, 0, 4, 4))) +
        copy_to(dst_raw(0), NO_DAMAGE),
    'copy-to-huge-damage':
        header(COPY) + create_pool(0, DISK, BUF, BUF) +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) +
        copy_to(DST_MIN, damage(raw_box(-0x80000000, 5, 0x7fffffff, 6),
                                raw_box(31, -0x80000000, 0x7fffffff,
                                        0x7fffffff))) +
        copy_to(DST_SAME, damage(raw_box(32, 0, 0x7fffffff, 16),
                                 raw_box(0, 16, 32, 0x7fffffff))),
    'release-keeps-pools':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) + release() +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + access(),
}

out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), 'corpus')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
