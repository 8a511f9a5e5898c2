#!/usr/bin/env python3
"""check_qpck - check converted queue entries against Mailman 2.1.39's rules.

Usage: check_qpck.py QFILES NOW

QFILES is the qfiles/ directory after `update`; NOW the clock the run
used.  The expectation is built from tests/tools/mkqfiles20.py's entries()
(what Mailman 2.0 queued into qfiles/) and old21_entries() (what Mailman
2.1 before 2.1.5 queued into qfiles/out/), and from what 2.1.39 does to
them:

- bin/update dequeue(): ext_read() marshal-loads the .db and, for schema
  version 2, deletes 'filebase', and eval()s the repr() text of
  'received_time'; 'rejection-notice' becomes 'rejection_notice'; the
  message is the .msg text, or the .pck's pickle (written again as it was:
  cPickle.dumps of the object it loads to);
- Switchboard.enqueue(): received_time set to the enqueue time when absent,
  'version' = QFILE_SCHEMA_VERSION (3), keys starting with '_' dropped,
  '_parsemsg' True for a message kept as text; the file name is
  repr(received_time) + '+' + sha1(msgsave + listname + repr(now)) + '.pck';
- Switchboard.dequeue(): two cPickle.load()s from the file, then
  email.message_from_string() when '_parsemsg'; Switchboard.files() splits
  the name on '+' and float()s the first part.

2.0's entries are converted first, in the order of their file names, entry
i at NOW + i/1000 (its received_time and the time in its hash); then the
old entries of qfiles/out/, which keep their received_time and take the
next times for the hash.  qfiles/out/'s current entry (one .pck with both
pickles) and its .bak stay as they were.  Exits 0 when everything matches,
else prints what does not.
"""

import email
import hashlib
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkqfiles20  # noqa: E402


def _first_len(data):
    """Length of the first pickle in data (pickletools walks it without loading)."""
    import pickletools
    for op, arg, pos in pickletools.genops(data):
        if op.name == 'STOP':
            return pos + 1
    raise ValueError('no STOP')


def check_name(errors, n, t, msgsave, listname, nows):
    when, digest = n[:-4].split('+')          # Switchboard.files()
    float(when)
    int(digest, 16)
    names = ['%r+%s.pck' % (t, hashlib.sha1(msgsave + listname + repr(x).encode()).hexdigest())
             for x in nows]
    if n not in names:
        errors.append('%s: not <repr(received_time)>+<sha1 of Switchboard>.pck' % n)


def main(qfiles, now):
    errors = []
    want = sorted(mkqfiles20.entries(), key=lambda e: e[0])
    old = mkqfiles20.old21_entries()
    nows = [now + i * 1e-3 for i in range(len(want) + len(old))]
    # 2.0's queue, now in qfiles/in
    indir = os.path.join(qfiles, 'in')
    names = sorted(n for n in os.listdir(indir) if n.endswith('.pck'))
    if len(names) != len(want):
        errors.append('%d .pck files in in/, want %d' % (len(names), len(want)))
    by_time = {}
    for n in names:
        with open(os.path.join(indir, n), 'rb') as f:
            data = f.read()
        first = _first_len(data)
        msg = pickle.loads(data[:first], encoding='bytes')
        meta = pickle.loads(data[first:], encoding='bytes')
        if _first_len(data[first:]) != len(data) - first:
            errors.append('%s: bytes after the two pickles' % n)
        by_time[meta.get(b'received_time')] = (n, msg, meta, data[:first])
    for i, (fb, text, md) in enumerate(want):
        t = nows[i]
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
        parsed = email.message_from_bytes(msg)
        if parsed['Subject'] is None:
            errors.append('%s: parsed message has no Subject' % n)
        check_name(errors, n, t, msgsave, md[b'listname'], [t])
    # qfiles/out: converted in place
    outdir = os.path.join(qfiles, 'out')
    found = {}
    for n in os.listdir(outdir):
        if not n.endswith('.pck') or n.startswith('975000170.5+'):
            continue
        with open(os.path.join(outdir, n), 'rb') as f:
            data = f.read()
        first = _first_len(data)
        meta = pickle.loads(data[first:], encoding='bytes')
        found[meta.get(b'received_time')] = (n, data[:first], meta)
    if len(found) != len(old):
        errors.append('%d converted entries in out/, want %d' % (len(found), len(old)))
    for base, ext, msg, md in old:
        t = float(md[b'received_time'])
        if t not in found:
            errors.append('%s: not converted' % base)
            continue
        n, msgsave, meta = found[t]
        exp = dict(md)
        exp[b'received_time'] = t
        if b'rejection-notice' in exp:
            exp[b'rejection_notice'] = exp.pop(b'rejection-notice')
        exp[b'_parsemsg'] = ext == '.msg'
        if meta != exp:
            errors.append('%s: metadata %r, want %r' % (n, meta, exp))
        if ext == '.pck' and msgsave != msg:
            errors.append('%s: the message pickle is not the old one' % n)
        if ext == '.msg' and pickle.loads(msgsave, encoding='bytes') != msg:
            errors.append('%s: message text differs' % n)
        check_name(errors, n, t, msgsave, md[b'listname'], nows)
        for e in ('.db', ext):
            if os.path.lexists(os.path.join(outdir, base + e)):
                errors.append('%s%s: still there' % (base, e))
    for e in errors:
        print('check_qpck:', e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
