#!/usr/bin/env python3
"""mkqfiles20 - write a Mailman 2.0 queue (qfiles/) the way Mailman 2.0 final writes it.

Test tooling only.  Mailman 2.0's Message.Enqueue (Mailman/Message.py at
terencehonles/mailman 07423ca1) writes, for each queued message:

  qfiles/<filebase>.msg  repr(msg): the unixfrom line, the header lines and
                         '\\n' + the body, exactly as rfc822 read them
  qfiles/<filebase>.db   marshal.dump() of the metadata dict: 'listname',
                         'version' (QFILE_SCHEMA_VERSION = 2), 'filebase',
                         then what the caller passed (scripts/post:
                         tolist=1; scripts/mailowner: toadmin=1 or
                         toowner=1; scripts/mailcmd: torequest=1;
                         HandlerAPI.DeliverToList: the delivery msgdata with
                         'pipeline', 'recips', ...), keys starting with '_'
                         removed
  filebase = sha.new(text + listname + `time.time()`).hexdigest()

Python 2.0 wrote marshal format 0 (no interned strings); py2marshal writes it.

Besides good entries it writes the broken ones an old queue may hold, each
of which mmfix must move to qfiles/bad/ unchanged: a .db that is garbage, a
.db holding a code object (marshal 'c'), a .db that is a list, a .msg
without its .db and a .db without its .msg.  It also writes a queue directory of Mailman 2.1 before 2.1.5
(qfiles/out/), as 2.1's Switchboard.enqueue and MarshalSwitchboard wrote it
(terencehonles/mailman 5822ef92): <repr(time)>+<sha>.db, the marshal of the
metadata with 'version' 3 and 'received_time' as repr() text, beside
<same>.msg (str(msg), when saved as text) or <same>.pck (cPickle.dumps(msg,
1) of a Mailman.Message.Message, via py2pickle); one .pck that is hostile
(GLOBAL os.system); a current (2.1.5+) entry, one .pck holding both
pickles; and a .bak.

Usage: mkqfiles20.py DIR    (DIR/qfiles is created; DIR must exist)
Also importable: entries() gives the good entries as (filebase, text, metadata).
"""

import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import py2marshal  # noqa: E402
import py2pickle  # noqa: E402

# Fixed clock: each entry was queued at this time (what 2.0 hashed).
T0 = 975000000.25


def _msg(unixfrom, headers, body):
    return unixfrom + b''.join(h + b'\n' for h in headers) + b'\n' + body


def _filebase(text, listname, t):
    return hashlib.sha1(text + listname + repr(t).encode()).hexdigest()


def entries():
    """The good entries: (filebase, text, metadata dict) as 2.0 wrote them."""
    out = []
    specs = [
        # scripts/post: a post waiting for the qrunner
        (b'es', _msg(b'From ana@example.org  Tue Nov 21 10:00:00 2000\n',
                     [b'From: Ana <ana@example.org>', b'To: es@example.net',
                      b'Subject: Hola'],
                     b'Buenos d\xedas a todos.\n'), {b'tolist': 1}),
        # scripts/mailowner: a bounce for the admins
        (b'cs', _msg(b'From MAILER-DAEMON  Tue Nov 21 10:01:00 2000\n',
                     [b'From: Mail Delivery System <MAILER-DAEMON@example.com>',
                      b'To: cs-admin@example.net', b'Subject: Undelivered Mail'],
                     b'This is the mail system.\n\n<jan@example.cz>: unknown user\n'),
         {b'toadmin': 1}),
        # HandlerAPI.DeliverToList: a delivery that failed half-way
        (b'mailman', _msg(b'From bob@example.com  Tue Nov 21 10:02:00 2000\n',
                          [b'From: bob@example.com', b'To: mailman@example.net',
                           b'Subject: test', b'X-Folded: a',
                           b'\tcontinued'],
                          b'body line 1\nFrom the start of a line\n'),
         {b'pipeline': [b'SMTPDirect'], b'recips': [b'x@example.org', b'y@example.org'],
          b'last_recip_count': 2, b'deliver_until': T0 + 432000.0, b'tolist': 1}),
    ]
    for k, (listname, text, extra) in enumerate(specs):
        fb = _filebase(text, listname, T0 + k)
        md = {b'listname': listname, b'version': 2, b'filebase': fb.encode()}
        md.update(extra)
        out.append((fb, text, md))
    return out


def old21_entries():
    """The good pre-2.1.5 entries of qfiles/out: (base, ext, message bytes, metadata)."""
    text = _msg(b'From eva@example.org  Wed Jan  1 10:00:00 2003\n',
                [b'From: eva@example.org', b'To: es@example.net', b'Subject: texto'],
                b'Hola.\n')
    state = {b'_headers': [(b'From', b'eva@example.org'), (b'To', b'cs@example.net'),
                           (b'Subject', b'objekt')],
             b'_unixfrom': b'From eva@example.org  Wed Jan  1 10:01:00 2003',
             b'_payload': b'Ahoj.\n', b'_charset': None, b'preamble': None,
             b'epilogue': None, b'_default_type': b'text/plain'}
    pck = py2pickle.dumps(py2pickle.Inst('Mailman.Message.Message', state), protocol=1)
    return [
        ('975000100.5+0123456789abcdef0123456789abcdef01234567', '.msg', text,
         {b'listname': b'es', b'version': 3, b'received_time': b'975000100.5',
          b'tolist': 1}),
        ('975000150.25+1111111111111111111111111111111111111111', '.pck', pck,
         {b'listname': b'cs', b'version': 3, b'received_time': b'975000150.25',
          b'recips': [b'jan@example.cz'], b'rejection-notice': b'no'}),
    ]


def _write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def main(top):
    q = os.path.join(top, 'qfiles')
    os.mkdir(q)
    for fb, text, md in entries():
        _write(os.path.join(q, fb + '.msg'), text)
        _write(os.path.join(q, fb + '.db'), py2marshal.dumps(md, version=0, intern_keys=False))
    bad_text = _msg(b'From x@example.org  Tue Nov 21 11:00:00 2000\n', [b'Subject: x'], b'x\n')
    # garbage metadata (a truncated marshal dict)
    _write(os.path.join(q, 'a0garbage.db'), b'{s\x08\x00\x00\x00listn')
    _write(os.path.join(q, 'a0garbage.msg'), bad_text)
    # a code object where the metadata should be
    _write(os.path.join(q, 'a1code.db'), b'c\x00\x00\x00\x00')
    _write(os.path.join(q, 'a1code.msg'), bad_text)
    # a list, not a dict
    _write(os.path.join(q, 'a2list.db'), py2marshal.dumps([b'es'], version=0))
    _write(os.path.join(q, 'a2list.msg'), bad_text)
    # a .msg alone, a .db alone
    _write(os.path.join(q, 'a3orphan.msg'), bad_text)
    _write(os.path.join(q, 'a4orphan.db'),
           py2marshal.dumps({b'listname': b'es', b'version': 2, b'filebase': b'a4orphan'},
                            version=0, intern_keys=False))
    # a queue directory of 2.1 before 2.1.5
    out = os.path.join(q, 'out')
    os.mkdir(out)
    for base, ext, msg, md in old21_entries():
        _write(os.path.join(out, base + ext), msg)
        _write(os.path.join(out, base + '.db'), py2marshal.dumps(md, version=1))
    hostile = '975000160.5+2222222222222222222222222222222222222222'
    _write(os.path.join(out, hostile + '.pck'), b"cos\nsystem\n(S'true'\ntR.")
    _write(os.path.join(out, hostile + '.db'),
           py2marshal.dumps({b'listname': b'es', b'version': 3,
                             b'received_time': b'975000160.5'}, version=1))
    current = py2pickle.dumps(b'From x\n\nbody\n') + py2pickle.dumps(
        {b'listname': b'es', b'version': 3, b'received_time': 975000170.5,
         b'_parsemsg': True})
    _write(os.path.join(out, '975000170.5+3333333333333333333333333333333333333333.pck'),
           current)
    _write(os.path.join(out, '975000200.5+89abcdef0123456789abcdef0123456789abcdef.bak'),
           b'not read')

if __name__ == '__main__':
    main(sys.argv[1])
