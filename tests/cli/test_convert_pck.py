"""convert X out.pck for every config.pck, config.pck.last and config.db in
the corpus: Python 3 loads the output (encoding='bytes', _BounceInfo
stubbed) equal to the input, it holds only protocol 0-1 opcodes, and a
Mailman-written protocol-1 file comes back byte for byte (>= 90%)."""
import io
import json
import os
import pickle
import pickletools
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, check, fail, finish, run

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import py2marshal  # noqa: E402


class Stub:
    pass


class Loader(pickle.Unpickler):
    def find_class(self, module, name):
        return type(name, (Stub,), {"_cls": module + "." + name})


def plain(v):
    """comparable form: instances as (class, state); str keeps its type"""
    if isinstance(v, Stub):
        return ("$inst", type(v)._cls, plain(v.__dict__))
    if isinstance(v, dict):
        return {plain(k): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, tuple):
        return tuple(plain(x) for x in v)
    if isinstance(v, bytes):
        return bytes(v)
    if isinstance(v, bool):
        return ("bool", v)
    return v


def load_pickle(data):
    return plain(Loader(io.BytesIO(data), encoding="bytes").load())


files = []
for root, dirs, names in os.walk(CORPUS):
    for n in names:
        if n in ("config.pck", "config.pck.last", "config.db") or n.endswith(".pck") and "testing" in root:
            files.append(os.path.join(root, n))
files.sort()
check(len(files) >= 40, "corpus config files found (%d)" % len(files))

identical = 0
proto1 = 0
with tempfile.TemporaryDirectory() as tmp:
    for i, f in enumerate(files):
        out = os.path.join(tmp, "%d.pck" % i)
        rc, _, err = run("convert", f, out)
        if rc != 0:
            fail("convert %s: exit %d %s" % (f, rc, err))
            continue
        data = open(out, "rb").read()
        check(max(op.proto for op, arg, pos in pickletools.genops(data)) <= 1,
              "only protocol 0-1 opcodes: " + f)
        src = open(f, "rb").read()
        if f.endswith(".db"):
            want = plain(py2marshal.loads(src))
        else:
            want = load_pickle(src)
            protos = max(op.proto for op, arg, pos in pickletools.genops(src)) if src[:1] != b"(" else 0
            if protos == 1:
                proto1 += 1
                identical += data == src
        check(load_pickle(data) == want, "Python 3 loads the output equal to the input: " + f)
        # typed JSON -> pck carries the same data
        j = os.path.join(tmp, "%d.json" % i)
        out2 = os.path.join(tmp, "%d-j.pck" % i)
        if run("convert", f, j)[0] == 0 and run("convert", j, out2)[0] == 0:
            check(load_pickle(open(out2, "rb").read()) == want, "JSON -> pck equal: " + f)
        else:
            fail("convert via JSON failed: " + f)
pct = 100.0 * identical / proto1 if proto1 else 0.0
print("byte-identical: %d of %d Mailman-written protocol-1 files (%.1f%%)" % (identical, proto1, pct))
check(pct >= 90.0, "at least 90% byte-identical")
rc, out, err = run("convert", files[0], os.path.join(tempfile.gettempdir(), "x.db"))
check(rc == 64, "writing config.db is refused with a usage error")
finish()
