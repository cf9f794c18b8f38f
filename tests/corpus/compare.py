#!/usr/bin/env python3
"""Compares what passthrud says of every function in a sysfs tree (ptctl show --json) with lspci's own decoding
of the same config bytes: IDs, names, class, revision, header type, multifunction, PCIe port type, FLR, AF FLR,
PM No_Soft_Reset, serial number, SR-IOV TotalVFs, ACS capability and control, and the parent bridge's kind.

lspci reads the original dumps (-F, through the converter's map) or the snapshot itself (-A linux-sysfs). Names
come from the same pci.ids, never from udev's hwdb; a name lspci can only make up (it does the same with an empty
pci.ids) must be absent in passthrud's answer.
usage: compare.py --ptctl PTCTL --tree SYSFS --pci-ids FILE (--map MAP_JSON --dumps DIR | --snapshot)"""
import argparse
import json
import os
import re
import subprocess
import sys

PCIE_TYPES = {
    'Endpoint': 'endpoint', 'Legacy Endpoint': 'legacy-endpoint', 'Root Port': 'root-port',
    'Upstream Port': 'upstream-port', 'Downstream Port': 'downstream-port',
    'PCI-Express to PCI/PCI-X Bridge': 'pcie-to-pci-bridge', 'PCI/PCI-X to PCI-Express Bridge': 'pci-to-pcie-bridge',
    'Root Complex Integrated Endpoint': 'rc-integrated-endpoint', 'Root Complex Event Collector': 'rc-event-collector',
}
ACS_BITS = {'SrcValid': 'sv', 'TransBlk': 'tb', 'ReqRedir': 'rr', 'CmpltRedir': 'cr', 'UpstreamFwd': 'uf',
            'EgressCtrl': 'ec', 'DirectTrans': 'dt'}
SLOT = re.compile(r'^((?:[0-9a-f]{4,8}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ')


def lspci(source, args, ids):
    return subprocess.run(['lspci'] + source + ['-O', 'hwdb.disable=1', '-i', ids] + args, check=True,
                          capture_output=True, text=True).stdout


def machine(text):
    """-vmm records by slot: {field: value}."""
    out = {}
    for block in text.strip().split('\n\n'):
        rec = {}
        for line in block.splitlines():
            key, _, value = line.partition(':\t')
            rec[key] = value
        if 'Slot' in rec:
            out[rec['Slot']] = rec
    return out


def verbose(text):
    """-vvv / -x blocks by slot."""
    out, slot = {}, None
    for line in text.splitlines():
        m = SLOT.match(line)
        if m:
            slot = m.group(1)
            out[slot] = []
        elif slot:
            out[slot].append(line)
    return out


def split_name(value):
    """'Intel Corporation [8086]' -> ('Intel Corporation', '8086')."""
    m = re.match(r'^(.*) \[([0-9a-f]{4})\]$', value or '')
    return (m.group(1), m.group(2)) if m else (value, None)


def expected(slot, names, synth, verb, hexdump):
    named, made_up, lines = names[slot], synth[slot], verb.get(slot, [])
    text = '\n'.join(lines)
    e = {}
    for field, key in (('Vendor', 'vendor'), ('Device', 'device')):
        name, ident = split_name(named.get(field))
        e[key + '_id'] = ident
        e[key + '_name'] = None if named.get(field) == made_up.get(field) else name
    if 'SVendor' in named:
        e['subsystem_vendor_id'] = split_name(named['SVendor'])[1]
        e['subsystem_id'] = split_name(named['SDevice'])[1]
        e['subsystem_name'] = (None if named['SDevice'] == made_up['SDevice'] else split_name(named['SDevice'])[0])
    else:
        e['subsystem_name'] = None
    class_name, class_id = split_name(named['Class'])
    e['class'] = class_id + named.get('ProgIf', '00')
    e['class_name'] = None if named['Class'] == made_up['Class'] else class_name
    e['revision'] = named.get('Rev', '00')
    config = bytes.fromhex(''.join(l.split(':', 1)[1] for l in hexdump[slot] if re.match(r'^[0-9a-f]{2,3}:', l)))
    e['header_type'] = config[0x0e] & 0x7f
    e['multifunction'] = bool(config[0x0e] & 0x80)
    m = re.search(r'\] Express \(v\d\) (.*?)(?:, MSI| \(Slot|, IntMsgNum|$)', text, re.M)
    e['pcie'] = m is not None
    e['pcie_type'] = PCIE_TYPES.get(m.group(1), 'unknown') if m else None
    m = re.search(r'DevCap:(.*?)DevCtl:', text, re.S)
    e['flr'] = bool(m and 'FLReset+' in m.group(1))
    e['af_flr'] = 'AFCap: TP+ FLR+' in text
    e['pm'] = 'Power Management version' in text
    e['pm_no_soft_reset'] = 'NoSoftRst+' in text
    m = re.search(r'Device Serial Number ([0-9a-f-]{23})', text)
    e['serial_number'] = m.group(1) if m else None
    m = re.search(r'Single Root I/O Virtualization.*?Total VFs: (\d+)', text, re.S)
    e['sriov_total_vfs'] = int(m.group(1)) if m else 0
    cap, ctl = re.search(r'ACSCap:\s*(.*)', text), re.search(r'ACSCtl:\s*(.*)', text)
    if cap and ctl:
        bits = lambda s: {v: (k + '+') in s for k, v in ACS_BITS.items()}
        e['acs'] = {'capability': bits(cap.group(1)), 'control': bits(ctl.group(1))}
    else:
        e['acs'] = None
    return e


def conventional(slot, names, verb, hexdump):
    """The kind of bridge as lspci decodes it: CardBus, or a PCI-PCI bridge that is not PCIe (or is PCIe to PCI)."""
    config = bytes.fromhex(''.join(l.split(':', 1)[1] for l in hexdump[slot] if re.match(r'^[0-9a-f]{2,3}:', l)))
    header = config[0x0e] & 0x7f
    if header == 2:
        return True
    if header != 1:
        return None
    m = re.search(r'\] Express \(v\d\) (.*?)(?:, MSI| \(Slot|, IntMsgNum|$)', '\n'.join(verb.get(slot, [])), re.M)
    return m is None or m.group(1) == 'PCI-Express to PCI/PCI-X Bridge'


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--ptctl', required=True)
    p.add_argument('--tree', required=True)
    p.add_argument('--pci-ids', required=True)
    p.add_argument('--map')
    p.add_argument('--dumps')
    p.add_argument('--snapshot', action='store_true')
    a = p.parse_args()

    # Where lspci reads each function: {our address: (lspci source args, lspci's slot)}.
    if a.snapshot:
        source = ['-A', 'linux-sysfs', '-O', 'sysfs.path=' + os.path.join(a.tree, 'bus/pci')]
        where = {addr: (tuple(source), addr) for addr in sorted(os.listdir(os.path.join(a.tree, 'bus/pci/devices')))}
    else:
        mapping = json.load(open(a.map))
        where = {}
        for addr, m in mapping.items():
            slot = m['address'] if m['address'].count(':') == 2 else '0000:' + m['address']
            where[addr] = (('-F', os.path.join(a.dumps, m['dump'])), slot)
    decoded = {}
    for src in sorted(set(s for s, _ in where.values())):
        decoded[src] = (machine(lspci(list(src), ['-D', '-vmm', '-nn'], a.pci_ids)),
                        machine(lspci(list(src), ['-D', '-vmm', '-nn'], '/dev/null')),
                        verbose(lspci(list(src), ['-D', '-vvv'], a.pci_ids)),
                        verbose(lspci(list(src), ['-D', '-xxxx'], a.pci_ids)))
    back = {v: k for k, v in where.items()}

    failures = compared = 0
    for addr in sorted(where):
        src, slot = where[addr]
        names, synth, verb, hexdump = decoded[src]
        want = expected(slot, names, synth, verb, hexdump)
        # The kernel's own word on TotalVFs wins over config space (a snapshot may keep only 64 bytes of it).
        attr = os.path.join(a.tree, 'bus/pci/devices', addr, 'sriov_totalvfs')
        if os.path.exists(attr):
            want['sriov_total_vfs'] = int(open(attr).read())
        got = json.loads(subprocess.run([a.ptctl, 'show', addr, '--json'], check=True, capture_output=True,
                                        text=True).stdout)
        parent = got.get('parent_bridge')
        if parent and parent not in where:
            pass  # a snapshot that kept the bridge's directory but not the bridge: nothing to compare with
        elif parent:
            psrc, pslot = where[parent]
            pnames, _, pverb, phex = decoded[psrc]
            kind = conventional(pslot, pnames, pverb, phex)
            want['parent_conventional'] = bool(kind)
        else:
            want['parent_conventional'] = False
        for key, value in want.items():
            compared += 1
            if got.get(key) != value:
                failures += 1
                print('MISMATCH %s (%s in %s) %s: passthrud %r, lspci %r' %
                      (addr, slot, src[-1] if not a.snapshot else 'snapshot', key, got.get(key), value))
    print('%d functions, %d fields compared, %d mismatches' % (len(where), compared, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
