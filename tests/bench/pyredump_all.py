#!/usr/bin/env python3
"""pyredump_all - the baseline for `mmfix update`/`migrate`: a plain Python 3
loop that loads every list file of an installation and dumps it again with
pickle protocol 1 to a temporary file, one list after the other.

Usage: pyredump_all.py VAR_PREFIX

2.0 lists (config.db, marshal format 0) are read with marshal.load; 2.1
lists (config.pck) with pickle.load(encoding='bytes') and the Mailman
classes stubbed, as pyload_all.py does. It does no upgrading at all: it is
the floor of what any tool that rewrites every file must spend."""
import marshal
import os
import pickle
import sys
import tempfile


class _Stub(object):
    def __setstate__(self, state):
        self.__dict__.update(state)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        return _Stub


def main(var):
    lists = os.path.join(var, "lists")
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "config.pck")
        for name in sorted(os.listdir(lists)):
            d = os.path.join(lists, name)
            pck = os.path.join(d, "config.pck")
            db = os.path.join(d, "config.db")
            if os.path.exists(pck):
                with open(pck, "rb") as f:
                    data = _Unpickler(f, encoding="bytes").load()
            elif os.path.exists(db):
                with open(db, "rb") as f:
                    data = marshal.load(f)
            else:
                continue
            with open(out, "wb") as f:
                pickle.dump(data, f, 1)
            n += 1
    print("%d lists loaded and dumped" % n, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
