#!/usr/bin/env python3
"""marshal_canon - canonical text of Python 2 marshal files, made by Python 3.

Test tooling only.  Writes fixtures/expected/marshal/<name>.txt for every
marshal file (*.db, *.db.last) of the shared corpus; tests/unit/test_marshal.c
renders its own parse of the same file the same way and compares.

Python 3's marshal.loads does the decoding.  It cannot read Python 2's
interned-string back-references, so the stream is first rewritten one token
at a time: each 't' (interned str) becomes 's' with Python 3's FLAG_REF bit,
and each 'R' n becomes Python 3's 'r' n.  Only those strings carry the flag,
so Python 3's reference table is exactly Python 2's interned table.  Every
other byte is left alone.

Canonical text, one node per line, two spaces of indent per level; a dict's
children alternate "k " key and "v " value lines:

  version N            (first line: 1 if 't'/'R' occur, 2 if 'g', else 0)
  None | bool True | bool False | int 123 | float %.17g (inf, -inf, nan)
  str "..."            (Python 2 str: 's' or 't', bytes)
  unicode "..."        (Python 2 unicode: its UTF-8, surrogatepass)
  tuple N | list N | dict N, then the children
In quoted text, bytes 0x20-0x7e other than '"' and '\\' stand for themselves;
every other byte is \\xNN (lowercase hex).  Ints and longs are both "int".

Usage: marshal_canon.py [--corpus DIR] [--out DIR]      (write the files)
       marshal_canon.py FILE                            (print one file)
"""

import argparse
import marshal
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.join(SOURCE, '..', 'shared', 'corpus')
DEFAULT_OUT = os.path.join(SOURCE, 'fixtures', 'expected', 'marshal')

FLAG_REF = 0x80


def rewrite(data):
    """Python 2 marshal bytes -> (Python 3 marshal bytes, version)."""
    out = bytearray(data)
    version = 0
    pos = 0
    # explicit stack of open containers: [items left] for a tuple or list
    # (the root is a 1-item sequence), [None, parity] for a dict, where
    # parity 0 means a key (or the closing '0') comes next
    stack = [[1]]
    while stack:
        top = stack[-1]
        if top[0] == 0:
            stack.pop()
            continue
        code = chr(data[pos])
        start = pos
        pos += 1
        if top[0] is None:
            if code == '0':
                if top[1] != 0:
                    raise ValueError('NULL as a dict value at %d' % start)
                stack.pop()
                continue
            top[1] ^= 1
        else:
            top[0] -= 1
        if code in 'NFT':
            pass
        elif code in 'iR':
            if code == 'R':
                out[start] = ord('r')
                version = max(version, 1)
            pos += 4
        elif code in 'Ig':
            if code == 'g':
                version = 2
            pos += 8
        elif code == 'f':
            pos += 1 + data[pos]
        elif code in 'stu':
            (n,) = struct.unpack_from('<i', data, pos)
            if code == 't':
                out[start] = ord('s') | FLAG_REF
                version = max(version, 1)
            pos += 4 + n
        elif code == 'l':
            (n,) = struct.unpack_from('<i', data, pos)
            pos += 4 + 2 * abs(n)
        elif code in '([':
            (n,) = struct.unpack_from('<i', data, pos)
            pos += 4
            stack.append([n])
        elif code == '{':
            stack.append([None, 0])
        else:
            raise ValueError('type code %r at %d not handled' % (code, start))
    if pos != len(data):
        raise ValueError('trailing data at %d' % pos)
    return bytes(out), version


def esc(b):
    parts = []
    for c in b:
        if 0x20 <= c <= 0x7e and c not in (0x22, 0x5c):
            parts.append(chr(c))
        else:
            parts.append('\\x%02x' % c)
    return '"' + ''.join(parts) + '"'


def fmt_float(x):
    if x != x:
        return 'nan'
    return '%.17g' % x


def render(v, indent, prefix, lines):
    pad = '  ' * indent + prefix
    if v is None:
        lines.append(pad + 'None')
    elif isinstance(v, bool):
        lines.append(pad + 'bool %s' % v)
    elif isinstance(v, int):
        lines.append(pad + 'int %d' % v)
    elif isinstance(v, float):
        lines.append(pad + 'float ' + fmt_float(v))
    elif isinstance(v, bytes):
        lines.append(pad + 'str ' + esc(v))
    elif isinstance(v, str):
        lines.append(pad + 'unicode ' + esc(v.encode('utf-8', 'surrogatepass')))
    elif isinstance(v, (tuple, list)):
        lines.append(pad + '%s %d' % ('tuple' if isinstance(v, tuple) else 'list', len(v)))
        for item in v:
            render(item, indent + 1, '', lines)
    elif isinstance(v, dict):
        lines.append(pad + 'dict %d' % len(v))
        for k, item in v.items():
            render(k, indent + 1, 'k ', lines)
            render(item, indent + 1, 'v ', lines)
    else:
        raise TypeError('unexpected %r' % type(v))


def canon(data):
    py3, version = rewrite(data)
    value = marshal.loads(py3)
    lines = ['version %d' % version]
    render(value, 0, '', lines)
    return '\n'.join(lines) + '\n'


def corpus_files(corpus):
    found = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith('.db') or name.endswith('.db.last'):
                found.append(os.path.relpath(os.path.join(dirpath, name), corpus))
    return found


def expected_name(rel):
    """corpus-relative path -> file name (the test maps it back)."""
    return rel.replace(os.sep, '__') + '.txt'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('file', nargs='?')
    ap.add_argument('--corpus', default=DEFAULT_CORPUS)
    ap.add_argument('--out', default=DEFAULT_OUT)
    args = ap.parse_args()
    if args.file:
        with open(args.file, 'rb') as f:
            sys.stdout.write(canon(f.read()))
        return 0
    os.makedirs(args.out, exist_ok=True)
    for rel in corpus_files(args.corpus):
        with open(os.path.join(args.corpus, rel), 'rb') as f:
            text = canon(f.read())
        with open(os.path.join(args.out, expected_name(rel)), 'w') as f:
            f.write(text)
        print(rel)
    return 0


if __name__ == '__main__':
    sys.exit(main())
