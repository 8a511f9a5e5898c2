"""py2pickle - write Python 2 style pickles from Python 3 values.

Test tooling only (no Python 2 exists on the build machines).  Emits the
opcodes that Python 2.7's cPickle emits for Mailman's data:

  protocol 1 (``cPickle.dump(obj, f, 1)``, what MailList.Save writes):
    EMPTY_DICT/EMPTY_LIST + BINPUT, MARK ... SETITEMS/APPENDS in batches of
    1000 (a batch of one item is a lone SETITEM/APPEND), SHORT_BINSTRING /
    BINSTRING for Python 2 ``str``, BINUNICODE for ``unicode``,
    BININT1/BININT2/BININT/INT/LONG for integers, ``I01``/``I00`` for bools,
    BINFLOAT, NONE, MARK ... TUPLE / EMPTY_TUPLE, and
    MARK GLOBAL 'Mailman.Bouncer\\n_BounceInfo\\n' OBJ <state> BUILD for
    classic instances.

  protocol 0 (``cPickle.dump(obj, f)``, what Pending.py writes):
    (dp / S'..' / V.. / I / F / L / (lp / a / s / t / INST i / b / p / g.

Value model (Python 3 -> Python 2):
  bytes          -> str
  str            -> unicode
  bool           -> bool (INT I01/I00)
  int            -> int (or long when it does not fit 64 bits)
  Long(n)        -> long (forced)
  float, None, tuple, list, dict as themselves
  Inst(cls, state) -> a classic instance of ``cls`` ('Module.Name' or
                     'Module Name'), state is its __dict__

Memoization follows cPickle: objects are keyed by identity.  With
``memo='refcount'`` (the default) cPickle's rule "memoize only objects with a
reference count above one" is approximated by counting the references inside
the pickled graph: dicts, lists and classes are always memoized; str, unicode,
tuples and instances only when referenced more than once (attribute-name keys
of the top-level dict and of instance states count as shared, they are
interned in Python 2); strings shorter than 2 are never memoized.  With
``memo='all'`` every container and string is memoized.

API:
  dumps(obj, protocol=1, memo='refcount') -> bytes
  dump(obj, f, protocol=1, memo='refcount')
  loads_stub(data) -> value        (pickle.loads(encoding='bytes') with the
                                    Mailman classes stubbed, for checks)
"""

import io
import pickle
import struct

__all__ = ['Inst', 'Long', 'dumps', 'dump', 'loads_stub', 'BatchSize']

BatchSize = 1000

# opcodes
MARK = b'('
STOP = b'.'
POP_MARK = b'1'
INT = b'I'
BININT = b'J'
BININT1 = b'K'
BININT2 = b'M'
LONG = b'L'
NONE = b'N'
BINFLOAT = b'G'
FLOAT = b'F'
STRING = b'S'
BINSTRING = b'T'
SHORT_BINSTRING = b'U'
UNICODE = b'V'
BINUNICODE = b'X'
EMPTY_DICT = b'}'
DICT = b'd'
EMPTY_LIST = b']'
LIST = b'l'
APPEND = b'a'
APPENDS = b'e'
SETITEM = b's'
SETITEMS = b'u'
EMPTY_TUPLE = b')'
TUPLE = b't'
GLOBAL = b'c'
INST = b'i'
OBJ = b'o'
BUILD = b'b'
PUT = b'p'
BINPUT = b'q'
LONG_BINPUT = b'r'
GET = b'g'
BINGET = b'h'
LONG_BINGET = b'j'


class Inst(object):
    """A Python 2 classic-class instance: class path + state (__dict__)."""

    __slots__ = ('module', 'name', 'state')

    def __init__(self, cls='Mailman.Bouncer _BounceInfo', state=None):
        if ' ' in cls:
            self.module, self.name = cls.split(' ', 1)
        else:
            self.module, self.name = cls.rsplit('.', 1)
        self.state = {} if state is None else state

    def __repr__(self):
        return 'Inst(%r, %r)' % (self.module + ' ' + self.name, self.state)

    def __eq__(self, other):
        return (isinstance(other, Inst) and other.module == self.module
                and other.name == self.name and other.state == self.state)

    def __hash__(self):
        return id(self)


class Long(int):
    """An int that Python 2 holds as ``long`` (written as LONG 'L...L')."""


def _py2_str_repr(b):
    """repr() of a Python 2 str, as cPickle protocol 0 writes it."""
    quote = b"'"
    if b"'" in b and b'"' not in b:
        quote = b'"'
    out = bytearray(quote)
    for c in b:
        ch = bytes((c,))
        if ch == quote or ch == b'\\':
            out += b'\\' + ch
        elif ch == b'\t':
            out += b'\\t'
        elif ch == b'\n':
            out += b'\\n'
        elif ch == b'\r':
            out += b'\\r'
        elif c < 0x20 or c >= 0x7f:
            out += b'\\x%02x' % c
        else:
            out += ch
    out += quote
    return bytes(out)


def _raw_unicode_escape(s):
    """Python 2 cPickle's unicode encoding for the protocol 0 V opcode."""
    out = bytearray()
    for ch in s:
        o = ord(ch)
        if o >= 0x10000:
            out += b'\\U%08x' % o
        elif o >= 0x100 or ch in '\\\n':
            out += b'\\u%04x' % o
        else:
            out.append(o)
    return bytes(out)


def _float_repr(x):
    r = repr(x)
    if r in ('inf', '-inf', 'nan'):
        return r
    return r


class _Writer(object):

    def __init__(self, protocol, memo):
        if protocol not in (0, 1):
            raise ValueError('protocol must be 0 or 1')
        if memo not in ('refcount', 'all'):
            raise ValueError("memo must be 'refcount' or 'all'")
        self.proto = protocol
        self.policy = memo
        self.out = io.BytesIO()
        self.w = self.out.write
        self.memo = {}          # id(obj) -> index
        self.keep = []          # keep memoized objects alive (ids stay valid)
        self.refs = {}          # id(obj) -> reference count in the graph

    # -- reference counting pass ----------------------------------------
    def count(self, root):
        refs = self.refs
        seen = set()
        stack = [root]
        refs[id(root)] = refs.get(id(root), 0) + 1
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, dict):
                children = []
                for k, v in obj.items():
                    children.append(k)
                    children.append(v)
            elif isinstance(obj, (list, tuple)):
                children = obj
            elif isinstance(obj, Inst):
                children = [obj.state]
            else:
                continue
            for c in children:
                if isinstance(c, (bool, int, float)) or c is None:
                    continue
                refs[id(c)] = refs.get(id(c), 0) + 1
                stack.append(c)
        # attribute names are interned in Python 2: always shared
        if isinstance(root, dict):
            for k in root:
                refs[id(k)] = refs.get(id(k), 0) + 1
        for obj in self._instances(root):
            for k in obj.state:
                refs[id(k)] = refs.get(id(k), 0) + 1

    def _instances(self, root):
        seen = set()
        stack = [root]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, dict):
                stack.extend(obj.keys())
                stack.extend(obj.values())
            elif isinstance(obj, (list, tuple)):
                stack.extend(obj)
            elif isinstance(obj, Inst):
                yield obj
                stack.append(obj.state)

    # -- memo -------------------------------------------------------------
    def put(self, obj, always=False):
        if not always and self.policy == 'refcount' \
                and self.refs.get(id(obj), 1) < 2:
            return
        idx = len(self.memo) + 1        # cPickle starts at 1
        self.memo[id(obj)] = idx
        self.keep.append(obj)
        if self.proto == 0:
            self.w(PUT + b'%d\n' % idx)
        elif idx < 256:
            self.w(BINPUT + bytes((idx,)))
        else:
            self.w(LONG_BINPUT + struct.pack('<i', idx))

    def get(self, idx):
        if self.proto == 0:
            self.w(GET + b'%d\n' % idx)
        elif idx < 256:
            self.w(BINGET + bytes((idx,)))
        else:
            self.w(LONG_BINGET + struct.pack('<i', idx))

    # -- values -------------------------------------------------------------
    def save(self, obj):
        w = self.w
        if obj is None:
            w(NONE)
            return
        if obj is True:
            w(b'I01\n')
            return
        if obj is False:
            w(b'I00\n')
            return
        if isinstance(obj, Long):
            w(LONG + b'%dL\n' % int(obj))
            return
        if isinstance(obj, int):
            self.save_int(obj)
            return
        if isinstance(obj, float):
            if self.proto == 0:
                w(FLOAT + _float_repr(obj).encode() + b'\n')
            else:
                w(BINFLOAT + struct.pack('>d', obj))
            return
        if isinstance(obj, (bytes, str)) and len(obj) < 2:
            self.save_string(obj, False)
            return
        if isinstance(obj, tuple) and len(obj) == 0:
            if self.proto == 0:
                w(MARK + TUPLE)
            else:
                w(EMPTY_TUPLE)
            return
        idx = self.memo.get(id(obj))
        if idx is not None:
            self.get(idx)
            return
        if isinstance(obj, (bytes, str)):
            self.save_string(obj, True)
        elif isinstance(obj, dict):
            self.save_dict(obj)
        elif isinstance(obj, list):
            self.save_list(obj)
        elif isinstance(obj, tuple):
            self.save_tuple(obj)
        elif isinstance(obj, Inst):
            self.save_inst(obj)
        elif isinstance(obj, bytearray):
            self.save(bytes(obj))
        else:
            raise TypeError('cannot write %r as Python 2 pickle' % (obj,))

    def save_int(self, i):
        w = self.w
        if self.proto >= 1 and -0x80000000 <= i <= 0x7fffffff:
            if 0 <= i < 256:
                w(BININT1 + bytes((i,)))
            elif 0 <= i < 65536:
                w(BININT2 + struct.pack('<H', i))
            else:
                w(BININT + struct.pack('<i', i))
        elif -2**63 <= i < 2**63:
            w(INT + b'%d\n' % i)
        else:
            w(LONG + b'%dL\n' % i)

    def save_string(self, obj, doput):
        w = self.w
        if isinstance(obj, bytes):
            if self.proto == 0:
                w(STRING + _py2_str_repr(obj) + b'\n')
            elif len(obj) < 256:
                w(SHORT_BINSTRING + bytes((len(obj),)) + obj)
            else:
                w(BINSTRING + struct.pack('<i', len(obj)) + obj)
        else:
            if self.proto == 0:
                w(UNICODE + _raw_unicode_escape(obj) + b'\n')
            else:
                data = obj.encode('utf-8', 'surrogatepass')
                w(BINUNICODE + struct.pack('<I', len(data)) + data)
        if doput:
            self.put(obj)

    def save_dict(self, d):
        w = self.w
        if self.proto == 0:
            w(MARK + DICT)
        else:
            w(EMPTY_DICT)
        self.put(d, always=True)
        items = list(d.items())
        if self.proto == 0:
            for k, v in items:
                self.save(k)
                self.save(v)
                w(SETITEM)
            return
        for start in range(0, len(items), BatchSize):
            batch = items[start:start + BatchSize]
            if len(batch) == 1:
                self.save(batch[0][0])
                self.save(batch[0][1])
                w(SETITEM)
                continue
            w(MARK)
            for k, v in batch:
                self.save(k)
                self.save(v)
            w(SETITEMS)

    def save_list(self, lst):
        w = self.w
        if self.proto == 0:
            w(MARK + LIST)
        else:
            w(EMPTY_LIST)
        self.put(lst, always=True)
        if self.proto == 0:
            for v in lst:
                self.save(v)
                w(APPEND)
            return
        for start in range(0, len(lst), BatchSize):
            batch = lst[start:start + BatchSize]
            if len(batch) == 1:
                self.save(batch[0])
                w(APPEND)
                continue
            w(MARK)
            for v in batch:
                self.save(v)
            w(APPENDS)

    def save_tuple(self, t):
        self.w(MARK)
        for v in t:
            self.save(v)
        idx = self.memo.get(id(t))
        if idx is not None:             # recursive tuple (cPickle's rule)
            self.w(POP_MARK)
            self.get(idx)
            return
        self.w(TUPLE)
        self.put(t)

    def save_inst(self, inst):
        w = self.w
        w(MARK)
        key = ('class', inst.module, inst.name)
        if self.proto == 0:
            w(INST + inst.module.encode() + b'\n' + inst.name.encode() + b'\n')
        else:
            cls = self._class(key)
            idx = self.memo.get(id(cls))
            if idx is not None:
                self.get(idx)
            else:
                w(GLOBAL + inst.module.encode() + b'\n'
                  + inst.name.encode() + b'\n')
                self.put(cls, always=True)
            w(OBJ)
        self.put(inst)
        self.save(inst.state)
        w(BUILD)

    def _class(self, key):
        # one stand-in object per class so the GLOBAL is memoized by identity
        if not hasattr(self, 'classes'):
            self.classes = {}
        return self.classes.setdefault(key, object())

    def dump(self, obj):
        self.count(obj)
        self.save(obj)
        self.w(STOP)
        return self.out.getvalue()


def dumps(obj, protocol=1, memo='refcount'):
    """Return the Python 2 cPickle bytes of obj (protocol 0 or 1)."""
    return _Writer(protocol, memo).dump(obj)


def dump(obj, f, protocol=1, memo='refcount'):
    """Write the Python 2 cPickle bytes of obj to the binary file f."""
    f.write(dumps(obj, protocol, memo))


class _StubUnpickler(pickle.Unpickler):
    """pickle.Unpickler that turns Mailman classes into Inst records."""

    def find_class(self, module, name):
        if module.startswith('Mailman'):
            full = module + ' ' + name

            class Stub(object):
                def __setstate__(self, state):
                    self.__dict__['_state'] = state

                def __reduce__(self):
                    raise TypeError('stub')
            Stub.__name__ = name
            Stub._mm_class = full
            return Stub
        raise pickle.UnpicklingError('global %s.%s refused' % (module, name))


def _convert(obj, seen=None):
    """Map stub instances back to Inst records (keeps sharing)."""
    if seen is None:
        seen = {}
    if id(obj) in seen:
        return seen[id(obj)]
    if isinstance(obj, dict):
        out = {}
        seen[id(obj)] = out
        for k, v in obj.items():
            out[_convert(k, seen)] = _convert(v, seen)
        return out
    if isinstance(obj, list):
        out = []
        seen[id(obj)] = out
        out.extend(_convert(v, seen) for v in obj)
        return out
    if isinstance(obj, tuple):
        return tuple(_convert(v, seen) for v in obj)
    if hasattr(type(obj), '_mm_class'):
        state = obj.__dict__.get('_state', {})
        inst = Inst(type(obj)._mm_class, None)
        seen[id(obj)] = inst
        inst.state = _convert(state, seen)
        return inst
    return obj


def loads_stub(data):
    """Load a Python 2 pickle: str -> bytes, Mailman classes -> Inst."""
    return _convert(_StubUnpickler(io.BytesIO(data), encoding='bytes').load())


if __name__ == '__main__':
    import sys
    import pickletools
    with open(sys.argv[1], 'rb') as fp:
        pickletools.dis(fp)
