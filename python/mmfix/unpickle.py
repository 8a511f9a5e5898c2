"""Restricted unpickler for Mailman 2 pickles (config.pck and friends).

mmfix's C code (src/pyload.c) calls loads() with the bytes of a file it has
already lexed and checked (src/pickleops.c); this module is the second,
independent line of defence and must be safe on its own.

What it allows: the data types of protocols 0-2 and exactly three classes,
each replaced by an inert stub (ALLOWED).  A stub instance is made the way
the C unpickler makes old-style instances for OBJ and INST, cls.__new__(cls)
without __init__, and BUILD can only fill its __dict__: the stub has no
__setstate__ (a data descriptor hides the name, so not even an instance
__dict__ entry called '__setstate__' can be found and called).  Calling a
stub class (REDUCE, OBJ/INST with arguments) and __new__ with arguments
(NEWOBJ) raise Refused.  Every other global, persistent ids and extension
codes raise Refused.

Python 2 str loads as bytes and unicode as str (encoding='bytes'); the
state dicts BUILD stores keep their bytes keys.
"""

import copyreg

from _pickle import Unpickler as _CUnpickler
from _pickle import UnpicklingError

__all__ = ['ALLOWED', 'Refused', 'RestrictedUnpickler', 'STUBS', 'loads']

ALLOWED = (
    'Mailman.Bouncer._BounceInfo',
    'Mailman.UserDesc.UserDesc',
    'Mailman.Message.Message',
)

_ALLOWED_TEXT = ', '.join(ALLOWED)

# No extension codes: EXT1/EXT2/EXT4 must not resolve to anything.  Nothing
# else in mmfix's interpreter registers any; empty the registry in place (the
# C unpickler holds the same dict objects).
copyreg._extension_registry.clear()
copyreg._inverted_registry.clear()
copyreg._extension_cache.clear()


class Refused(UnpicklingError):
    """The pickle asks for something mmfix does not allow."""


class _NoAttribute:
    """A data descriptor that always reports the attribute as missing.

    Data descriptors win over an instance __dict__, so a BUILD that stored a
    key named like the attribute cannot make it appear."""

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, owner=None):
        raise AttributeError(self.name)

    def __set__(self, obj, value):
        raise Refused('setting %s is not allowed' % self.name)

    def __delete__(self, obj):
        raise Refused('deleting %s is not allowed' % self.name)


class _StubMeta(type):
    """Metaclass of the stubs: calling a stub class is refused."""

    def __call__(cls, *args, **kwargs):
        raise Refused('calling %s is not allowed' % cls.mmfix_class)


class _Stub(metaclass=_StubMeta):
    """Base of the inert records; mmfix_class names the Mailman class."""

    mmfix_class = None
    __setstate__ = _NoAttribute('__setstate__')
    __getinitargs__ = _NoAttribute('__getinitargs__')
    __getnewargs__ = _NoAttribute('__getnewargs__')
    __getnewargs_ex__ = _NoAttribute('__getnewargs_ex__')

    def __new__(cls, *args, **kwargs):
        if args or kwargs or cls.mmfix_class is None:
            raise Refused('creating %s with arguments is not allowed'
                          % cls.mmfix_class)
        return object.__new__(cls)


def _make_stub(dotted):
    name = dotted.rsplit('.', 1)[1]
    return _StubMeta(name, (_Stub,), {'mmfix_class': dotted,
                                      '__module__': 'mmfix.stub'})


STUBS = tuple(_make_stub(name) for name in ALLOWED)
_BY_NAME = {cls.mmfix_class: cls for cls in STUBS}


class RestrictedUnpickler(_CUnpickler):
    """The C unpickler with find_class limited to the stubs."""

    def find_class(self, module, name):
        cls = _BY_NAME.get('%s.%s' % (module, name))
        if cls is None:
            raise Refused('global %s.%s is not allowed (only %s)'
                          % (module, name, _ALLOWED_TEXT))
        return cls

    def persistent_load(self, pid):
        raise Refused('persistent id %.60r is not allowed' % (pid,))


class _Reader:
    """A read-only file over bytes for the C unpickler.

    peek() hands out the rest of the data, so the unpickler reads it as one
    buffer instead of calling read() per opcode; every result is a
    memoryview slice of data, so nothing is copied."""

    __slots__ = ('data', 'view', 'pos', 'end')

    def __init__(self, data):
        self.data = data
        self.view = memoryview(data)
        self.pos = 0
        self.end = len(data)

    def read(self, n=-1):
        p = self.pos
        e = self.end if n is None or n < 0 else min(self.end, p + n)
        self.pos = e
        return self.view[p:e]

    def readinto(self, buf):
        p = self.pos
        k = min(len(buf), self.end - p)
        buf[:k] = self.view[p:p + k]
        self.pos = p + k
        return k

    def peek(self, n=0):
        return self.view[self.pos:]

    def readline(self):
        p = self.pos
        e = self.data.find(b'\n', p)
        e = self.end if e < 0 else e + 1
        self.pos = e
        return self.view[p:e]


def loads(data):
    """Unpickle data (bytes) with the restricted unpickler."""
    return RestrictedUnpickler(_Reader(data), encoding='bytes').load()
