#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The daemon's dependency rules, read from what the compiler produced: a file-level call graph (which object
file uses a symbol another one defines) must have no cycle, and every edge must point down the layers
(bus -> ops -> model, exec -> kernel, store -> base; model and exec, kernel and store are siblings that do not
use each other). Prints TAP."""
import os
import subprocess
import sys

RANK = {'root': 7, 'bus': 6, 'ops': 5, 'model': 4, 'exec': 4, 'kernel': 2, 'store': 2, 'base': 1}


def objects(build):
    daemon = os.path.join(build, 'daemon')
    for layer in RANK:
        lib = os.path.join(daemon, f'libpt{layer}.a')
        if layer != 'root':
            if not os.path.exists(lib):
                sys.exit(f'Bail out! {lib} is missing')
            yield lib
    main = os.path.join(daemon, 'passthrud.p')
    for o in sorted(os.listdir(main)):
        if o.endswith('.o'):
            yield os.path.join(main, o)


def source_of(member):
    # meson names objects "<dir>_<file>.c.o"
    name = os.path.basename(member)
    if name.endswith('.o'):
        name = name[:-2]
    d, _, f = name.partition('_')
    return f'{d}/{f}' if d in RANK else name


def layer_of(src):
    d = src.split('/')[0]
    return d if d in RANK else 'root'


def symbols(path):
    defined, used = {}, {}
    for flag, table in (('--defined-only', defined), ('--undefined-only', used)):
        out = subprocess.run(['nm', '-A', flag, path], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            where = parts[0].split(':')[1] if path.endswith('.a') else path
            kind, sym = parts[-2], parts[-1]
            if flag == '--defined-only' and kind not in 'TDBR':
                continue
            table.setdefault(source_of(where), set()).add(sym)
    return defined, used


def main():
    build = sys.argv[1]
    owner, uses = {}, {}
    for path in objects(build):
        defined, used = symbols(path)
        for src, syms in defined.items():
            for s in syms:
                owner[s] = src
        for src, syms in used.items():
            uses.setdefault(src, set()).update(syms)
    edges = {src: sorted({owner[s] for s in syms if s in owner and owner[s] != src}) for src, syms in uses.items()}
    for src in owner.values():
        edges.setdefault(src, [])

    failures = []
    print('1..2')
    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    if sccs:
        for c in sccs:
            print('# call cycle: ' + ' <-> '.join(c))
        print('not ok 1 - no file-level call cycle in daemon/')
        failures.append(1)
    else:
        print(f'ok 1 - no file-level call cycle in daemon/ ({len(edges)} files)')

    wrong = []
    for src, targets in sorted(edges.items()):
        a = layer_of(src)
        for t in targets:
            b = layer_of(t)
            if a == b:
                continue
            if RANK[b] >= RANK[a]:
                wrong.append(f'{src} ({a}) uses {t} ({b})')
    if wrong:
        for w in wrong:
            print('# upward or sideways: ' + w)
        print('not ok 2 - every dependency points down the layers')
        failures.append(2)
    else:
        print('ok 2 - every dependency points down the layers')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
