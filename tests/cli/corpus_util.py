"""Helpers for the CLI tests: run mmfix, parse what Mailman printed.

Test tooling only (the product is C). Reads the shared corpus in place.
"""
import ast
import base64
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tokenize

MMFIX = os.environ.get("MMFIX", "mmfix")
CORPUS = os.environ.get("MMFIX_CORPUS", "")
FIXTURES = os.environ.get("MMFIX_FIXTURES", "")

# MMFIX_WRAP: a command line every mmfix of the CLI tests runs under (tools/test.sh's
# valgrind variant). Under valgrind each process writes its own log, and finish() fails
# the test for any log with something in it: an error in a run whose exit status a test
# does not look at is still found.
WRAP = shlex.split(os.environ.get("MMFIX_WRAP", ""))
_vg_logs = None
if WRAP and os.path.basename(WRAP[0]) == "valgrind":
    _vg_logs = tempfile.mkdtemp(prefix="mmfix-valgrind-")
    WRAP.append("--log-file=%s/%%p.log" % _vg_logs)

_failures = []
_passes = [0]


def mmfix_argv(*args, binary=None):
    """the command line that runs mmfix (or binary, an installed copy) with args: every
    CLI test starts mmfix through this, so MMFIX_WRAP applies to all"""
    return WRAP + [binary or MMFIX, *args]


def run(*args, expect=None, env=None):
    """Run mmfix; return (rc, stdout bytes, stderr text)."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(mmfix_argv(*args), capture_output=True, env=e, timeout=600)
    if expect is not None and p.returncode not in (expect if isinstance(expect, tuple) else (expect,)):
        fail("mmfix %s: exit %d, want %s\nstderr: %s" % (
            " ".join(args), p.returncode, expect, p.stderr.decode(errors="replace")))
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def check(cond, what):
    if cond:
        _passes[0] += 1
    else:
        fail(what)


def fail(what):
    _failures.append(what)
    print("FAIL:", what, file=sys.stderr)


def content_digest(top):
    """names and contents of every file under top"""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            h.update(os.path.relpath(p, top).encode())
            if os.path.isfile(p) and not os.path.islink(p):
                h.update(open(p, "rb").read())
    return h.hexdigest()


def in_journal(rel):
    """rel (relative to the tree) is mmfix's journal, its -wal/-shm, or in its .keep
    directory of kept before-images"""
    return any(part.startswith("mmfix-journal") for part in rel.split(os.sep))


def tree_digest(top, times=True, dirs=False):
    """bytes, mode, owner and (times) mtime of every file, and (dirs) mode
    and owner of every directory (a directory's mtime only says when its
    last entry changed), except mmfix's own journal (and its .keep directory)"""
    h = hashlib.sha256()
    for root, subdirs, files in sorted(os.walk(top)):
        subdirs.sort()
        for name in sorted(files) + (sorted(subdirs) if dirs else []):
            if in_journal(os.path.relpath(os.path.join(root, name), top)):
                continue
            p = os.path.join(root, name)
            st = os.lstat(p)
            h.update(b"%s %o %d %d %d\n" % (os.path.relpath(p, top).encode(), st.st_mode,
                                            st.st_uid, st.st_gid,
                                            st.st_mtime_ns if times and name in files else 0))
            if os.path.isfile(p) and not os.path.islink(p):
                h.update(open(p, "rb").read())
    return h.hexdigest()


def entries_digest(top, skip=(), movable=False):
    """every entry below top: name, type, mode, owner; the bytes of files and
    the targets of links (never followed); mmfix's journal (with its .keep
    directory of kept before-images) and the relative paths in skip left
    out: what an exact rollback must give back. movable:
    top itself in a link's target counts as "VAR", so that copies of a tree
    at different places compare"""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(root, name)
            rel = os.path.relpath(p, top)
            if in_journal(rel) or rel in skip:
                continue
            st = os.lstat(p)
            h.update(b"%s %o %d %d\n" % (rel.encode(), st.st_mode, st.st_uid, st.st_gid))
            if os.path.islink(p):
                target = os.readlink(p)
                if movable and (target == top or target.startswith(top + "/")):
                    target = "VAR" + target[len(top):]
                h.update(target.encode())
            elif os.path.isfile(p):
                h.update(open(p, "rb").read())
    return h.hexdigest()


def copy_writable(src, dst):
    """copy a corpus tree (read-only in place) to dst as Mailman leaves an installation:
    directories 02775, files 0660"""
    import shutil
    shutil.copytree(src, dst, symlinks=True)
    for root, dirs, files in os.walk(dst):
        os.chmod(root, 0o2775)
        for f in files:
            os.chmod(os.path.join(root, f), 0o660)
    return dst


def copy_mm21(dst):
    """mm21-sample copied to dst as Mailman leaves an installation (copy_writable), its
    public archive links symbolic links again: the corpus keeps each as a text file naming
    Mailman's absolute target, which is re-pointed into dst as on the host it was made on"""
    copy_writable(os.path.join(CORPUS, "mm21-sample"), dst)
    pub = os.path.join(dst, "archives", "public")
    for name in os.listdir(pub):
        p = os.path.join(pub, name)
        target = open(p).read().strip().replace("/usr/lib/mailman", dst)
        os.unlink(p)
        os.symlink(target, p)
    return dst


def _check_valgrind_logs():
    """every valgrind log of this test empty (-q: it writes only what it found)"""
    for name in sorted(os.listdir(_vg_logs)):
        with open(os.path.join(_vg_logs, name), errors="replace") as f:
            text = f.read()
        check(text.strip() == "", "valgrind found errors in process %s:\n%s" % (
            name[:-len(".log")], text[:20000]))
    shutil.rmtree(_vg_logs, ignore_errors=True)


def finish():
    if _vg_logs is not None:
        _check_valgrind_logs()
    print("%d passed, %d failed" % (_passes[0], len(_failures)))
    sys.exit(1 if _failures else 0)


def py2_literal(src):
    """Evaluate a Python 2 repr: '...' -> bytes, u'...' -> str, 5L -> 5."""
    out = []
    toks = tokenize.generate_tokens(io.StringIO(src).readline)
    for tok in toks:
        s = tok.string
        if tok.type == tokenize.STRING:
            if s[0] in "uU":
                s = s[1:]
            elif s[0] in "'\"":
                s = "b" + s
        elif tok.type == tokenize.NUMBER and s[-1] in "lL":
            s = s[:-1]
        out.append((tok.type, s))
    return ast.literal_eval(tokenize.untokenize(out))


_BOUNCE = re.compile(r"<bounce info for member (\S+)\n\s+current score: (\S+)\n\s+last bounce date: (\([^)]*\))\n\s+email notices left: (\d+)\n\s+last notice date: (\([^)]*\))\n\s+confirmation cookie: (\S+)\n\s+>")


def parse_dumpdb(path):
    """The dict bin/dumpdb printed; _BounceInfo as ('$bounce', member, score, ...)."""
    text = open(path, "rb").read().decode("latin-1")
    start = text.index("\n", text.index("start object 1")) + 1
    end = text.index("[----- end pickle file")
    body = text[start:end]

    def bounce(m):
        return "('$bounce', %r, %s, %s, %s, %s, %s)" % (
            m.group(1), m.group(2), m.group(3), m.group(4), m.group(5),
            "None" if m.group(6) == "None" else repr(m.group(6)))
    body = _BOUNCE.sub(bounce, body)
    return py2_literal(body)


def from_typed(v, cs):
    """Typed JSON value -> Python value (py2 str as bytes)."""
    if isinstance(v, str):
        return v.encode(cs)
    if isinstance(v, list):
        return [from_typed(x, cs) for x in v]
    if isinstance(v, dict):
        if len(v) == 1 or "$instance" in v:
            k = next(iter(v))
            if k == "$unicode":
                return v[k]
            if k == "$bytes":
                return base64.b64decode(v[k])
            if k == "$tuple":
                return tuple(from_typed(x, cs) for x in v[k])
            if k == "$long":
                return int(v[k])
            if k == "$float":
                return float(v[k])
            if k == "$dict":
                return {from_typed(a, cs): from_typed(b, cs) for a, b in v[k]}
            if k == "$instance":
                return ("$instance", v["$instance"], from_typed(v["$state"], cs))
        return {k.encode(cs): from_typed(x, cs) for k, x in v.items()}
    return v
