"""Test helpers for pyload_call(): fixed, nested return values."""


def nested(arg):
    """Return a structure holding every type pyload_call converts."""
    shared = [1, 2]
    return {
        'arg': arg,
        'bytes': b'\xc1\xf5',
        'int': -7,
        'big': 2 ** 70,
        'float': 1.5,
        'flags': (True, False, None),
        'list': [shared, shared, 'x'],
        1: {'deep': [[[]]]},
    }


def fail(arg):
    """Raise, so that pyload_call() reports the error."""
    raise ValueError('selftest failure: %s' % arg)


def echo(arg):
    """Return the argument unchanged (a str)."""
    return arg


def files(arg, contents):
    """Return (arg, contents) as pyload_call_files() passed them."""
    return (arg, contents)
