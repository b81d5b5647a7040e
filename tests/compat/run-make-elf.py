#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a minimal ELF program for sealshm-run's import check.

run-make-elf.py 32|64 import|define|truncated OUT

The file, in the host's byte order, has a program interpreter that does
not exist (so it can never run) and a .dynsym holding wl_display_init_shm:
undefined (an import), defined, or (truncated) behind section headers that
lie past the end of the file.  No compiler can build 32-bit programs here,
so this is how the ELF32 reader is tried.
"""

import struct
import sys

HOOK = b"wl_display_init_shm"
INTERP = b"/nonexistent/sealshm-test/ld.so\0"
PT_INTERP, SHT_DYNSYM, SHT_STRTAB, ET_DYN = 3, 11, 3, 3

# Per class: header, program header, section header and symbol layouts,
# all from <elf.h>.
LAYOUT = {
    32: ("16sHHIIIIIHHHHHH", "IIIIIIII", "IIIIIIIIII", "IIIBBH"),
    64: ("16sHHIQQQIHHHHHH", "IIQQQQQQ", "IIQQQQIIQQ", "IBBHQQ"),
}


def host_machine():
    """e_machine of this Python, mapped to its 32-bit sibling for ELF32."""
    with open(sys.executable, "rb") as f:
        header = f.read(20)
    order = "<" if header[5] == 1 else ">"
    return struct.unpack(order + "H", header[18:20])[0]


def build(bits, kind):
    order = "<" if sys.byteorder == "little" else ">"
    ehdr, phdr, shdr, sym = (struct.Struct(order + f) for f in LAYOUT[bits])
    machine = host_machine()
    if bits == 32:
        machine = {62: 3, 183: 40}.get(machine, machine)

    dynstr = b"\0" + HOOK + b"\0"
    # Section 0 is the null section; 1 is .dynsym, 2 its string table.
    shndx = 0 if kind == "import" else 2
    if bits == 32:
        hook = sym.pack(1, 0, 0, 0x12, 0, shndx)
    else:
        hook = sym.pack(1, 0x12, 0, shndx, 0, 0)
    dynsym = bytes(sym.size) + hook

    interp_off = ehdr.size + phdr.size
    dynstr_off = interp_off + len(INTERP)
    dynsym_off = dynstr_off + len(dynstr)
    shoff = dynsym_off + len(dynsym)
    if bits == 32:
        program = phdr.pack(PT_INTERP, interp_off, 0, 0, len(INTERP),
                            len(INTERP), 4, 1)
    else:
        program = phdr.pack(PT_INTERP, 4, interp_off, 0, 0, len(INTERP),
                            len(INTERP), 1)
    sections = (bytes(shdr.size)
                + shdr.pack(0, SHT_DYNSYM, 0, 0, dynsym_off, len(dynsym), 2,
                            1, 8, sym.size)
                + shdr.pack(0, SHT_STRTAB, 0, 0, dynstr_off, len(dynstr), 0,
                            0, 1, 0))
    ident = bytes([0x7F]) + b"ELF" + bytes(
        [1 if bits == 32 else 2, 1 if order == "<" else 2, 1])
    header = ehdr.pack(ident, ET_DYN, machine, 1, 0, ehdr.size,
                       shoff + (4096 if kind == "truncated" else 0), 0,
                       ehdr.size, phdr.size, 1, shdr.size, 3, 0)
    return header + program + INTERP + dynstr + dynsym + sections


def main():
    bits, kind, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if bits not in LAYOUT or kind not in ("import", "define", "truncated"):
        sys.exit(__doc__)
    with open(out, "wb") as f:
        f.write(build(bits, kind))


if __name__ == "__main__":
    main()
