#!/usr/bin/env python3
"""Turns lspci -x/-xxx/-xxxx dumps into a sysfs tree passthrud reads (--sysfs-root), as a kernel would show the
same functions: devices/pciDDDD:BB/... nested under their bridges, bus/pci/devices links, and per function its
config bytes and ID attributes. Each (dump, PCI domain) gets a domain of its own, so dumps never collide; a map
from the new addresses to the dumps' own is written as JSON for the comparison.

Like an older kernel or a partial snapshot, some attributes are left out on purpose (revision on every third
function, subsystem IDs on bridges and every fourth endpoint, sriov_totalvfs on every other PF): passthrud must
then read them from config space.   usage: dump-to-sysfs.py OUT_DIR MAP_JSON DUMP...
"""
import json
import os
import re
import sys

HEADER = re.compile(r'^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])(?:\s|$)')
HEX = re.compile(r'^([0-9a-fA-F]{2,3}):((?: [0-9a-fA-F]{2}){16})\s*$')


def parse_dump(path):
    """[(domain, bus, slot, function, bytes)] in file order; a function's bytes are contiguous from 0."""
    functions, current = [], None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = HEADER.match(line)
            if m:
                current = [int(m.group(1) or '0', 16), int(m.group(2), 16), int(m.group(3), 16),
                           int(m.group(4), 16), bytearray()]
                functions.append(current)
                continue
            m = HEX.match(line)
            if m and current is not None and int(m.group(1), 16) == len(current[4]):
                current[4].extend(bytes.fromhex(m.group(2).replace(' ', '')))
    return [tuple(f) for f in functions if len(f[4]) >= 64]


def u16(b, off):
    return b[off] | (b[off + 1] << 8) if off + 2 <= len(b) else None


def ext_cap(b, cap_id):
    """Offset of an extended capability, walked as the kernel does (a count bounds loops)."""
    pos = 0x100
    for _ in range(480):
        if pos < 0x100 or pos + 4 > len(b):
            return None
        header = int.from_bytes(b[pos:pos + 4], 'little')
        if header in (0, 0xffffffff):
            return None
        if header & 0xffff == cap_id:
            return pos
        pos = (header >> 20) & 0xffc
    return None


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def main():
    out, map_path, dumps = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(os.path.join(out, 'bus/pci/devices'), exist_ok=True)
    os.makedirs(os.path.join(out, 'bus/pci/drivers'), exist_ok=True)
    mapping, new_domain, index = {}, 0, 0
    for dump in dumps:
        by_domain = {}
        for fn in parse_dump(dump):
            by_domain.setdefault(fn[0], []).append(fn)
        for old_domain, fns in sorted(by_domain.items()):
            dom = new_domain
            new_domain += 1
            # A bus's bridge: the function whose secondary bus number (byte 0x19) it is.
            bridge_of = {}
            for d, bus, slot, func, b in fns:
                if b[0x0e] & 0x7f in (1, 2) and b[0x19] > bus:
                    bridge_of.setdefault(b[0x19], (bus, slot, func))
            def bdf(bus, slot, func):
                return '%04x:%02x:%02x.%x' % (dom, bus, slot, func)
            def devpath(bus, slot, func, depth=0):
                parent = bridge_of.get(bus)
                if parent is None or depth > 32:
                    return 'devices/pci%04x:%02x/%s' % (dom, bus, bdf(bus, slot, func))
                return devpath(*parent, depth + 1) + '/' + bdf(bus, slot, func)
            for d, bus, slot, func, b in fns:
                name = bdf(bus, slot, func)
                rel = devpath(bus, slot, func)
                path = os.path.join(out, rel)
                os.makedirs(path, exist_ok=True)
                with open(os.path.join(path, 'config'), 'wb') as f:
                    f.write(bytes(b))
                header_type = b[0x0e] & 0x7f
                write(os.path.join(path, 'vendor'), '0x%04x\n' % u16(b, 0))
                write(os.path.join(path, 'device'), '0x%04x\n' % u16(b, 2))
                write(os.path.join(path, 'class'), '0x%06x\n' % (int.from_bytes(b[8:12], 'little') >> 8))
                if index % 3 != 0:
                    write(os.path.join(path, 'revision'), '0x%02x\n' % b[8])
                sub = {0: 0x2c, 2: 0x40}.get(header_type)
                if sub is not None and u16(b, sub + 2) is not None and index % 4 != 1:
                    write(os.path.join(path, 'subsystem_vendor'), '0x%04x\n' % u16(b, sub))
                    write(os.path.join(path, 'subsystem_device'), '0x%04x\n' % u16(b, sub + 2))
                sriov = ext_cap(b, 0x10)
                if sriov is not None and index % 2 == 0:
                    write(os.path.join(path, 'sriov_totalvfs'), '%d\n' % u16(b, sriov + 0x0e))
                    write(os.path.join(path, 'sriov_numvfs'), '0\n')
                link = os.path.join(out, 'bus/pci/devices', name)
                os.symlink(os.path.relpath(path, os.path.dirname(link)), link)
                original = ('%04x:' % d if d else '') + '%02x:%02x.%x' % (bus, slot, func)
                mapping[name] = {'dump': os.path.basename(dump), 'address': original}
                index += 1
    with open(map_path, 'w') as f:
        json.dump(mapping, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
