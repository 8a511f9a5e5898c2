"""Typed JSON is lossless: for every Mailman data file in the corpus,
convert FILE a.json; convert a.json b.json; a.json == b.json byte for byte,
and the values equal what Python 3's own readers load from FILE."""
import json
import os
import pickle
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, check, fail, finish, from_typed, run

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import py2marshal  # noqa: E402


class Stub:
    pass


class Loader(pickle.Unpickler):
    def find_class(self, module, name):
        cls = type(name, (Stub,), {"_cls": module + "." + name})
        return cls


def py_value(v):
    """Python 3's load -> the shape from_typed gives (instances as tuples)."""
    if isinstance(v, Stub):
        return ("$instance", type(v)._cls, py_value(v.__dict__))
    if isinstance(v, dict):
        return {py_value(k): py_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [py_value(x) for x in v]
    if isinstance(v, tuple):
        return tuple(py_value(x) for x in v)
    return v


files = []
for root, dirs, names in os.walk(CORPUS):
    for n in names:
        if n.endswith((".pck", ".pck.last", ".db", ".db.last")):
            files.append(os.path.join(root, n))
files.sort()
check(len(files) >= 60, "found the corpus data files (%d)" % len(files))

with tempfile.TemporaryDirectory() as tmp:
    for i, f in enumerate(files):
        a = os.path.join(tmp, "%d-a.json" % i)
        b = os.path.join(tmp, "%d-b.json" % i)
        rc, out, err = run("convert", f, a)
        if rc != 0:
            fail("convert %s: exit %d: %s" % (f, rc, err))
            continue
        rc, out, err = run("convert", a, b)
        if rc != 0:
            fail("convert %s (json): exit %d: %s" % (f, rc, err))
            continue
        check(open(a, "rb").read() == open(b, "rb").read(), "JSON -> value -> JSON identical: " + f)
        doc = json.load(open(a))
        got = from_typed(doc["config"], doc["charset"])
        data = open(f, "rb").read()
        if f.endswith((".db", ".db.last")):
            # Python 3's marshal cannot read 'R' back-references: use the
            # test tooling's independent Python 2 marshal reader.
            want = py2marshal.loads(data)

            def plain(v):  # Interned/Long subclasses compare as bytes/int anyway
                if isinstance(v, dict):
                    return {plain(k): plain(x) for k, x in v.items()}
                if isinstance(v, list):
                    return [plain(x) for x in v]
                if isinstance(v, tuple):
                    return tuple(plain(x) for x in v)
                if isinstance(v, bytes):
                    return bytes(v)
                return v
            want = plain(want)
        else:
            import io
            want = py_value(Loader(io.BytesIO(data), encoding="bytes").load())
        check(got == want, "typed JSON equals Python's own load: " + f)

finish()
