#!/usr/bin/env python3
"""pyload_all - baseline for bench_scan.sh: unpickle every list's config.pck.

Usage: pyload_all.py VAR_PREFIX

A plain Python 3 loop over VAR_PREFIX/lists/*/config.pck doing
pickle.load(f, encoding='bytes') with a find_class that stubs the Mailman
classes (and refuses everything else).  Prints the number of lists and
members so that the work cannot be optimised away.
"""

import glob
import os
import pickle
import sys


class _Stub(object):
    def __setstate__(self, state):
        self.__dict__['state'] = state


class StubUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith('Mailman.'):
            return _Stub
        raise pickle.UnpicklingError('refused %s.%s' % (module, name))


def main():
    lists = members = 0
    for path in sorted(glob.glob(os.path.join(sys.argv[1], 'lists', '*',
                                              'config.pck'))):
        with open(path, 'rb') as f:
            d = StubUnpickler(f, encoding='bytes').load()
        lists += 1
        members += len(d.get(b'members', ())) + len(d.get(b'digest_members', ()))
    print('%d lists, %d members' % (lists, members))


if __name__ == '__main__':
    main()
