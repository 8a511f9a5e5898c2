"""A FIFO, a UNIX socket or a directory where a list's data file should be:
every command reports it, naming the file and what it is, and none hangs
(a FIFO with no writer would block a plain open() forever) or reads it.

For each kind, in fresh copies of fixtures/mm21 (and of fixtures/mm20 for
config.db): scan (one process and two workers), show, check, repair -n,
repair and convert, each under a timeout. Mailman's fallback treats the
file as unreadable (config.pck.last loads); repair leaves the list alone
(Mailman's recovery would move the thing aside, its save would replace it).
request.pck and pending.pck are read by no command: a FIFO there is
harmless, and the test checks that it stays so.
"""
import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, finish, mmfix_argv

TIMEOUT = 20
LIST = "en-only"
KINDS = ["fifo", "socket", "directory"]
sockets = []


def run(*args):
    """mmfix under a timeout: a hang is a failure, not a stuck suite"""
    try:
        p = subprocess.run(mmfix_argv(*args), capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        check(False, "mmfix %s: still running after %d s (hangs)" % (" ".join(args), TIMEOUT))
        return None, b"", ""
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def make(path, kind):
    """put a non-regular file of kind at path (replacing what is there)"""
    if os.path.lexists(path):
        os.unlink(path)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        sockets.append(s)
    else:
        os.mkdir(path)


def fresh(tmp, tag, fixture="mm21"):
    dst = os.path.join(tmp, tag)
    shutil.copytree(os.path.join(FIXTURES, fixture), dst, symlinks=True)
    return dst


def digest(top):
    """names, types, modes, sizes, mtimes and bytes of everything below top"""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for name in sorted(files + dirs):
            p = os.path.join(root, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, top)
            if rel == "locks" or rel.startswith("locks/"):
                # a writer takes the list's lock before it reads the list (and
                # finds the problem), breaking an expired lock as Mailman does;
                # check_repair sees that it leaves no lock of its own
                continue
            h.update(b"%s %o %d %d\n" % (rel.encode(), st.st_mode, st.st_size,
                                         st.st_mtime_ns))
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fp:
                    h.update(fp.read())
    return h.hexdigest()


def scan_problems(out, name):
    doc = json.loads(out)
    probs = [p for p in doc["problems"] if p.get("list") == name]
    for entry in doc["lists"]:
        if entry["name"] == name:
            probs += entry["problems"]
            return entry, probs
    return None, probs


def check_scan(var, name, fname, kind, want_rc, want_file):
    what = "not a regular file (%s)" % kind
    for jobs in ("1", "2"):
        rc, out, err = run("scan", "--json", "-j", jobs, "-d", var, name)
        if rc is None:
            continue
        check(rc == want_rc, "%s: scan -j %s: exit %d, want %d (%s)"
              % (kind, jobs, rc, want_rc, err.strip()))
        entry, probs = scan_problems(out, name)
        hits = [p for p in probs if p["message"].startswith("%s: %s" % (fname, what))
                and p["severity"] == "error" and p["code"] == "unreadable-file"]
        check(len(hits) == 1, "%s: scan -j %s reports %s as %s: %s" % (kind, jobs, fname,
                                                                       what, probs))
        got = entry.get("file") if entry is not None else "(no entry)"
        check(got == (want_file and "lists/%s/%s" % (name, want_file)),
              "%s: scan -j %s: Mailman loads %s (%s)" % (kind, jobs, want_file, got))
    # the text report says it too
    rc, out, err = run("scan", "-j", "2", "-d", var, name)
    if rc is not None:
        check(("%s: %s" % (fname, what)).encode() in out,
              "%s: scan text names %s: %s" % (kind, fname, out.decode(errors="replace")))


def check_check(var, name, fname, kind, want_from):
    rc, out, err = run("check", "--json", "-d", var, name)
    if rc is None:
        return
    want_rc = 1 if want_from else 65
    check(rc == want_rc, "%s: check: exit %d (got %d)" % (kind, want_rc, rc))
    doc = json.loads(out)
    lst = doc["lists"][0]
    f = [x for x in lst["files"] if x["path"] == fname][0]
    check(f["status"] == "corrupt" and f.get("error") == "not a regular file (%s)" % kind,
          "%s: check marks %s unreadable: %s" % (kind, fname, f))
    check(lst["loads_from"] == want_from, "%s: check: loads from %s (%s)"
          % (kind, want_from, lst["loads_from"]))


def check_repair(var, name, fname, kind):
    before = digest(os.path.join(var, "lists", name))
    whole = digest(var)
    locks = set(os.listdir(os.path.join(var, "locks")))
    for args in (("repair", "-n"), ("repair",), ("repair", "--json")):
        rc, out, err = run(*args, "-d", var, name)
        if rc is None:
            continue
        check(rc == 65, "%s: %s: exit 65 (got %d: %s)" % (kind, " ".join(args), rc, err))
        text = out.decode(errors="replace")
        check("%s: not a regular file (%s)" % (fname, kind) in text and name in text,
              "%s: %s reports %s: %s" % (kind, " ".join(args), fname, text))
    check(digest(os.path.join(var, "lists", name)) == before,
          "%s: repair wrote nothing in lists/%s" % (kind, name))
    check(digest(var) == whole, "%s: repair wrote nothing at all" % kind)
    check(set(os.listdir(os.path.join(var, "locks"))) <= locks,
          "%s: repair left no lock of its own" % kind)
    check(not os.path.exists(os.path.join(var, "data", "mmfix-journal.sqlite")),
          "%s: repair opened no journal run" % kind)


def check_convert(tmp, path, kind):
    for out_name in ("out.json", "out.pck"):
        out_path = os.path.join(tmp, out_name)
        rc, out, err = run("convert", path, out_path)
        if rc is None:
            continue
        check(rc == 74, "%s: convert -> %s: exit 74 (got %d)" % (kind, out_name, rc))
        check(err.startswith("mmfix: ") and path in err
              and "not a regular file (%s)" % kind in err,
              "%s: convert names the file and what it is: %s" % (kind, err.strip()))
        check(not os.path.lexists(out_path), "%s: convert wrote no %s" % (kind, out_name))


with tempfile.TemporaryDirectory() as tmp:
    for kind in KINDS:
        # config.pck is the odd one; config.pck.last loads (Mailman's fallback)
        var = fresh(tmp, kind + "-pck")
        pck = os.path.join(var, "lists", LIST, "config.pck")
        make(pck, kind)
        check_scan(var, LIST, "config.pck", kind, 1, "config.pck.last")
        rc, out, err = run("show", "-d", var, LIST)
        if rc is not None:
            check(rc == 0 and b"real_name = " in out,
                  "%s: show shows the fallback (exit %d)" % (kind, rc))
            check("mmfix: %s: config.pck: not a regular file (%s)" % (LIST, kind) in err
                  and "config.pck.last" in err, "%s: show says why: %s" % (kind, err.strip()))
        check_check(var, LIST, "config.pck", kind, "config.pck.last")
        check_repair(var, LIST, "config.pck", kind)
        check_convert(tmp, pck, kind)

        # only config.pck.last is odd: config.pck loads, but it is reported,
        # and repair does not let Mailman's save replace it
        var = fresh(tmp, kind + "-last")
        make(os.path.join(var, "lists", LIST, "config.pck.last"), kind)
        check_scan(var, LIST, "config.pck.last", kind, 1, "config.pck")
        rc, out, err = run("show", "-d", var, LIST)
        if rc is not None:
            check(rc == 0 and b"real_name = " in out
                  and "config.pck.last: not a regular file (%s); showing config.pck" % kind
                  in err, "%s: show names the odd config.pck.last (exit %d): %s"
                  % (kind, rc, err.strip()))
        check_check(var, LIST, "config.pck.last", kind, "config.pck")
        check_repair(var, LIST, "config.pck.last", kind)

        # both: nothing loads
        var = fresh(tmp, kind + "-both")
        for n in ("config.pck", "config.pck.last"):
            make(os.path.join(var, "lists", LIST, n), kind)
        check_scan(var, LIST, "config.pck", kind, 65, None)
        rc, out, err = run("show", "-d", var, LIST)
        if rc is not None:
            check(rc == 65 and out == b"", "%s: show with nothing loadable: exit 65 (got %d)"
                  % (kind, rc))
            check("not a regular file (%s)" % kind in err, "%s: show says why: %s"
                  % (kind, err.strip()))
        check_check(var, LIST, "config.pck", kind, None)
        check_repair(var, LIST, "config.pck", kind)

        # Mailman 2.0's config.db (read by the C marshal reader)
        var = fresh(tmp, kind + "-db", "mm20")
        db = os.path.join(var, "lists", "cs", "config.db")
        make(db, kind)
        check_check(var, "cs", "config.db", kind, "config.db.last")
        rc, out, err = run("show", "-d", var, "cs")
        if rc is not None:
            check(rc == 0 and "config.db: not a regular file (%s)" % kind in err,
                  "%s: show of a 2.0 list says why (exit %d): %s" % (kind, rc, err.strip()))
        check_convert(tmp, db, kind)

    # convert's output in the place of a non-regular file: refused (73),
    # never opened for writing (a FIFO would block that open), left as it is
    good = os.path.join(FIXTURES, "mm21", "lists", LIST, "config.pck")
    for kind in KINDS:
        for out_name in ("out-%s.json" % kind, "out-%s.pck" % kind):
            out_path = os.path.join(tmp, out_name)
            make(out_path, kind)
            rc, out, err = run("convert", good, out_path)
            if rc is not None:
                check(rc == 73 and "not a regular file" in err and out_path in err,
                      "%s as convert's output: exit 73 naming it (got %d: %s)"
                      % (kind, rc, err.strip()))
            st = os.lstat(out_path)
            check(not stat.S_ISREG(st.st_mode), "%s as convert's output: left alone" % kind)

    # the whole installation, every command at once: no hang, the odd list
    # reported among the others
    var = fresh(tmp, "all")
    make(os.path.join(var, "lists", LIST, "config.pck"), "fifo")
    make(os.path.join(var, "lists", "de-verein", "request.pck"), "fifo")
    make(os.path.join(var, "lists", "de-verein", "pending.pck"), "fifo")
    for args in (("scan",), ("scan", "-j", "2"), ("check",)):
        rc, out, err = run(*args, "-d", var)
        if rc is not None:
            check(rc in (1, 65), "%s over the installation: exit %d" % (" ".join(args), rc))
            check(b"not a regular file (fifo)" in out, "%s names the fifo" % " ".join(args))
    rc, out, err = run("show", "-d", var, "de-verein")
    check(rc == 0, "a fifo as request.pck/pending.pck is not read by show (exit %s)" % rc)

for s in sockets:
    s.close()
finish()
