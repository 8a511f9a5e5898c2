#!/usr/bin/python3
"""check_pickle - Python 3's view of pickles written by mmfix's pickle writer.

usage: check_pickle.py ORIG OUT [ORIG OUT ...]

For every pair: OUT must hold only opcodes of protocols 0 and 1
(pickletools.genops), must load with pickle (encoding='bytes', the Mailman
classes replaced by a stub that keeps its state) and must equal what ORIG
loads to, with types compared strictly (bytes is not str, bool is not int,
tuple is not list). ORIG may be '-' to only check OUT. Prints one line per
problem and a summary line; exits 1 if there was any problem.
"""

import io
import pickle
import pickletools
import sys


class Stub:
    """Any allowed class: keeps the state BUILD gives it."""

    def __init__(self, *args):
        self.state = None

    def __setstate__(self, state):
        self.state = state


_classes = {}


def load(data):
    # one class object per name, so that two instances compare by name
    class L(pickle.Unpickler):
        def find_class(self, module, name):
            key = module + '.' + name
            if not module.startswith('Mailman.'):
                raise pickle.UnpicklingError('global %s' % key)
            if key not in _classes:
                _classes[key] = type(name, (Stub,), {'mmfix_class': key})
            return _classes[key]
    return L(io.BytesIO(data), encoding='bytes').load()


def same(a, b, path='root'):
    """Strict deep equality; returns a description of the first difference."""
    if type(a) is not type(b):
        return '%s: type %s != %s' % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, Stub):
        if a.mmfix_class != b.mmfix_class:
            return '%s: class %s != %s' % (path, a.mmfix_class, b.mmfix_class)
        return same(a.state, b.state, path + '.__dict__')
    if isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            ka, kb = list(a.keys()), list(b.keys())
            if len(ka) != len(kb):
                return '%s: %d keys != %d keys' % (path, len(ka), len(kb))
            for x, y in zip(ka, kb):
                d = same(x, y, path + '.key')
                if d:
                    return d
        for k in a:
            d = same(a[k], b[k], '%s[%r]' % (path, k))
            if d:
                return d
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return '%s: length %d != %d' % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, '%s[%d]' % (path, i))
            if d:
                return d
        return None
    if isinstance(a, float) and a != a:
        return None if b != b else '%s: nan != %r' % (path, b)
    if a != b:
        return '%s: %r != %r' % (path, a, b)
    return None


def check(orig, out):
    problems = []
    data = open(out, 'rb').read()
    try:
        proto = max(op.proto for op, arg, pos in pickletools.genops(data))
    except Exception as e:  # noqa: BLE001 - report any lexing failure
        return ['%s: pickletools: %s' % (out, e)]
    if proto > 1:
        problems.append('%s: protocol %d opcodes' % (out, proto))
    try:
        got = load(data)
    except Exception as e:  # noqa: BLE001
        return problems + ['%s: load: %s' % (out, e)]
    if orig != '-':
        want = load(open(orig, 'rb').read())
        d = same(want, got)
        if d:
            problems.append('%s vs %s: %s' % (orig, out, d))
    return problems


def main(argv):
    if len(argv) < 2 or len(argv) % 2 != 0:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    problems = []
    for i in range(0, len(argv), 2):
        problems += check(argv[i], argv[i + 1])
    for p in problems:
        print(p)
    print('check_pickle: %d files, %d problems' % (len(argv) // 2, len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
