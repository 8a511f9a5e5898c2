#!/usr/bin/env python3
"""check_qpck - check converted queue entries against Mailman 2.1.39's rules.

Usage: check_qpck.py INDIR NOW

INDIR is the qfiles/in/ directory after `update`; NOW the clock the run
used.  The expectation is built from tests/tools/mkqfiles20.py's entries()
(what Mailman 2.0 queued) and from what 2.1.39 does to them:

- bin/update dequeue(): ext_read() marshal-loads the .db and, for schema
  version 2, deletes 'filebase'; the message is the .msg text;
- Switchboard.enqueue(): received_time set to the enqueue time when absent,
  'version' = QFILE_SCHEMA_VERSION (3), keys starting with '_' dropped,
  '_parsemsg' True for a message kept as text; the file name is
  repr(received_time) + '+' + sha1(msgsave + listname + repr(now)) + '.pck';
- Switchboard.dequeue(): two cPickle.load()s from the file, then
  email.message_from_string() when '_parsemsg'; Switchboard.files() splits
  the name on '+' and float()s the first part.

Entries are converted in the order of their 2.0 file names, entry i at
NOW + i/1000.  Exits 0 when everything matches, else prints what does not.
"""

import email
import hashlib
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkqfiles20  # noqa: E402


def main(indir, now):
    errors = []
    want = sorted(mkqfiles20.entries(), key=lambda e: e[0])
    names = sorted(n for n in os.listdir(indir) if n.endswith('.pck'))
    if len(names) != len(want):
        errors.append('%d .pck files, want %d' % (len(names), len(want)))
    by_time = {}
    for n in names:
        when, digest = n[:-4].split('+')          # Switchboard.files()
        float(when)
        int(digest, 16)
        with open(os.path.join(indir, n), 'rb') as f:
            msg = pickle.load(f, encoding='bytes')
            first = f.tell()
            data = pickle.load(f, encoding='bytes')
            if f.read():
                errors.append('%s: bytes after the two pickles' % n)
            f.seek(0)
            msgsave = f.read(first)
        by_time[data.get(b'received_time')] = (n, msg, data, msgsave)
    for i, (fb, text, md) in enumerate(want):
        t = now + i * 1e-3
        if t not in by_time:
            errors.append('entry %s: no .pck with received_time %r' % (fb, t))
            continue
        n, msg, data, msgsave = by_time[t]
        exp = dict(md)
        del exp[b'filebase']
        exp[b'received_time'] = t
        exp[b'version'] = 3
        exp[b'_parsemsg'] = True
        if data != exp:
            errors.append('%s: metadata %r, want %r' % (n, data, exp))
        if msg != text:
            errors.append('%s: message text differs' % n)
        if not data.get(b'_parsemsg') or not isinstance(msg, bytes):
            errors.append('%s: Switchboard.dequeue would not parse the text' % n)
        else:
            parsed = email.message_from_bytes(msg)
            if parsed.get_unixfrom() is None and text.startswith(b'From '):
                pass  # Python 3's parser keeps no unixfrom from bytes; Python 2's does
            if parsed['Subject'] is None:
                errors.append('%s: parsed message has no Subject' % n)
        lst = md[b'listname']
        digest = hashlib.sha1(msgsave + lst + repr(t).encode()).hexdigest()
        if n != '%r+%s.pck' % (t, digest):
            errors.append('%s: name, want %r+%s.pck' % (n, t, digest))
    for e in errors:
        print('check_qpck:', e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
