#!/usr/bin/env python3
"""pyexport_all - baseline for bench_export.sh: the config.pck part of
export-mm3 done in plain Python 3.

Usage: pyexport_all.py VAR_PREFIX OUT

For every VAR_PREFIX/lists/*/config.pck: pickle.load(f, encoding='bytes')
with the Mailman classes stubbed, every str decoded in the charset the
installation's Mailman/Defaults.py gives the list's preferred_language (else
UTF-8, else Latin-1), bounce_info left out, and the result written as
OUT/<list>/config.pck with pickle.dump(d, f, 2).  No report, no held
messages, no archive check: less than mmfix does.
"""

import glob
import os
import pickle
import re
import sys


class _Stub(object):
    def __setstate__(self, state):
        self.__dict__['state'] = state


class StubUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith('Mailman.'):
            return _Stub
        raise pickle.UnpicklingError('refused %s.%s' % (module, name))


def decode(v, cs):
    if isinstance(v, bytes):
        for c in (cs, 'utf-8'):
            try:
                return v.decode(c)
            except (UnicodeDecodeError, LookupError):
                pass
        return v.decode('latin-1')
    if isinstance(v, list):
        return [decode(x, cs) for x in v]
    if isinstance(v, tuple):
        return tuple(decode(x, cs) for x in v)
    if isinstance(v, dict):
        return {decode(k, cs): decode(x, cs) for k, x in v.items()}
    return v


def main():
    var, out = sys.argv[1], sys.argv[2]
    text = open(os.path.join(var, 'Mailman', 'Defaults.py'), encoding='latin-1').read()
    charsets = dict(re.findall(r"add_language\('([^']+)',\s*[^,]+,\s*'([^']+)'", text))
    lists = 0
    for path in sorted(glob.glob(os.path.join(var, 'lists', '*', 'config.pck'))):
        name = os.path.basename(os.path.dirname(path))
        with open(path, 'rb') as f:
            d = StubUnpickler(f, encoding='bytes').load()
        d.pop(b'bounce_info', None)
        lang = d.get(b'preferred_language', b'en').decode('ascii', 'replace')
        d = decode(d, charsets.get(lang, 'us-ascii'))
        os.makedirs(os.path.join(out, name), exist_ok=True)
        with open(os.path.join(out, name, 'config.pck'), 'wb') as f:
            pickle.dump(d, f, 2)
        lists += 1
    print('%d lists' % lists)


if __name__ == '__main__':
    main()
