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
    'release-keeps-pools':
        header(STRICT) + create_pool(0, SEALED, BUF, BUF) + release() +
        create_buffer(0, 0, W, H, W * 4, ARGB8888) + access(),
}

out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), 'corpus')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
