"""py2marshal - write Python 2 marshal data (Mailman 2.0 config.db) from Python 3.

Test tooling only.  Writes what Python 2's ``marshal.dumps(obj, version)``
writes for the types Mailman 2.0 stores:

  '{' dict (key, value ... '0')   's' str      't' interned str (version >= 1)
  'R' back-reference to the n-th interned str (version >= 1)
  'u' unicode (UTF-8)              'i' int32     'I' int64     'l' long
  'f' float as '%.17g' text (version < 2)  'g' binary float (version >= 2)
  'N' None   'T'/'F' bool   '[' list   '(' tuple

Value model: bytes -> str, str -> unicode, Interned(b'..') -> an interned str,
Long(n) -> long, bool -> bool, int -> int (int64 'I' when beyond 32 bits,
'l' beyond 64 bits), float, None, list, tuple, dict.

Interning (version >= 1): the keys of the top-level dict (attribute names,
interned by Python 2) and every Interned value are written with 't' the
first time and as 'R' + index afterwards.  Version 0 writes them all as 's'.

API:
  dumps(obj, version=1, intern_keys=True) -> bytes
  dump(obj, f, version=1, intern_keys=True)
  loads(data) -> value     (a small reader for checks: Python 3's marshal
                            cannot read 'R'; 't' comes back as Interned)
"""

import struct

__all__ = ['Interned', 'Long', 'dumps', 'dump', 'loads']


class Interned(bytes):
    """A Python 2 str that is interned (marshal 't'/'R' in version >= 1)."""


class Long(int):
    """An int that Python 2 holds as ``long`` (marshal 'l')."""


def _float_text(x):
    """Python 2 marshal's float text: '%.17g' (inf/nan as Python 2 spells them)."""
    if x != x:
        return b'nan'
    if x in (float('inf'), float('-inf')):
        return b'inf' if x > 0 else b'-inf'
    return (b'%.17g' % x)


class _Writer(object):

    def __init__(self, version):
        if version not in (0, 1, 2):
            raise ValueError('version must be 0, 1 or 2')
        self.version = version
        self.strings = {}
        self.parts = []

    def w_long(self, n):
        self.parts.append(struct.pack('<i', n))

    def w_str(self, b, interned):
        p = self.parts
        if interned and self.version >= 1:
            idx = self.strings.get(bytes(b))
            if idx is not None:
                p.append(b'R')
                self.w_long(idx)
                return
            self.strings[bytes(b)] = len(self.strings)
            p.append(b't')
        else:
            p.append(b's')
        self.w_long(len(b))
        p.append(bytes(b))

    def w_pylong(self, n):
        digits = []
        a = abs(n)
        while a:
            digits.append(a & 0x7fff)
            a >>= 15
        size = len(digits) if n >= 0 else -len(digits)
        self.parts.append(b'l')
        self.w_long(size)
        for d in digits:
            self.parts.append(struct.pack('<H', d))

    def save(self, obj, key=False):
        p = self.parts
        if obj is None:
            p.append(b'N')
        elif obj is True:
            p.append(b'T')
        elif obj is False:
            p.append(b'F')
        elif isinstance(obj, Long):
            self.w_pylong(int(obj))
        elif isinstance(obj, int):
            if -2**31 <= obj < 2**31:
                p.append(b'i')
                self.w_long(obj)
            elif -2**63 <= obj < 2**63:
                p.append(b'I' + struct.pack('<q', obj))
            else:
                self.w_pylong(obj)
        elif isinstance(obj, float):
            if self.version >= 2:
                p.append(b'g' + struct.pack('<d', obj))
            else:
                r = _float_text(obj)
                p.append(b'f' + bytes((len(r),)) + r)
        elif isinstance(obj, bytes):
            self.w_str(obj, key or isinstance(obj, Interned))
        elif isinstance(obj, str):
            data = obj.encode('utf-8', 'surrogatepass')
            p.append(b'u')
            self.w_long(len(data))
            p.append(data)
        elif isinstance(obj, tuple):
            p.append(b'(')
            self.w_long(len(obj))
            for v in obj:
                self.save(v)
        elif isinstance(obj, list):
            p.append(b'[')
            self.w_long(len(obj))
            for v in obj:
                self.save(v)
        elif isinstance(obj, dict):
            p.append(b'{')
            for k, v in obj.items():
                self.save(k, key)
                self.save(v)
            p.append(b'0')
        else:
            raise TypeError('cannot marshal %r' % (obj,))


def dumps(obj, version=1, intern_keys=True):
    """Python 2 marshal.dumps(obj, version); top-level dict keys interned."""
    w = _Writer(version)
    if isinstance(obj, dict) and intern_keys:
        w.parts.append(b'{')
        for k, v in obj.items():
            w.save(Interned(k) if isinstance(k, bytes) else k)
            w.save(v)
        w.parts.append(b'0')
    else:
        w.save(obj)
    return b''.join(w.parts)


def dump(obj, f, version=1, intern_keys=True):
    f.write(dumps(obj, version, intern_keys))


def loads(data):
    """Read Python 2 marshal data (for checking the writer)."""
    strings = []
    pos = [0]

    def take(n):
        s = data[pos[0]:pos[0] + n]
        if len(s) != n:
            raise EOFError('truncated marshal data')
        pos[0] += n
        return s

    def r_long():
        return struct.unpack('<i', take(4))[0]

    def r():
        t = take(1)
        if t == b'N':
            return None
        if t == b'T':
            return True
        if t == b'F':
            return False
        if t == b'i':
            return r_long()
        if t == b'I':
            return struct.unpack('<q', take(8))[0]
        if t == b'l':
            n = r_long()
            v = 0
            for i in range(abs(n)):
                v |= struct.unpack('<H', take(2))[0] << (15 * i)
            return Long(-v if n < 0 else v)
        if t == b'f':
            return float(take(take(1)[0]).decode())
        if t == b'g':
            return struct.unpack('<d', take(8))[0]
        if t == b's':
            return take(r_long())
        if t == b't':
            s = Interned(take(r_long()))
            strings.append(s)
            return s
        if t == b'R':
            return strings[r_long()]
        if t == b'u':
            return take(r_long()).decode('utf-8', 'surrogatepass')
        if t in (b'(', b'['):
            items = [r() for _ in range(r_long())]
            return tuple(items) if t == b'(' else items
        if t == b'{':
            d = {}
            while data[pos[0]:pos[0] + 1] != b'0':
                k = r()
                d[k] = r()
            take(1)
            return d
        raise ValueError('unknown marshal type %r at %d' % (t, pos[0] - 1))

    return r()


if __name__ == '__main__':
    import sys
    import pprint
    with open(sys.argv[1], 'rb') as fp:
        pprint.pprint(loads(fp.read()))
