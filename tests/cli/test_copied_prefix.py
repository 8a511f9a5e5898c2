"""A var prefix copied from the old host without locks/ and data/ (issue 7):
a dry run says what it would create and changes nothing; a writing command
creates them as Mailman's install does (mode 02775, the group of lists/),
journals locks/ and says so; convert into a list's directory does the same."""
import grp
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, finish, run

TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")


def tree(top):
    out = []
    for root, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(root, name)
            st = os.lstat(p)
            out.append((os.path.relpath(p, top), st.st_mode, st.st_gid,
                        open(p, "rb").read() if stat.S_ISREG(st.st_mode) else None))
    return out


def copied(tmp, tag, gid):
    dst = os.path.join(tmp, tag)
    shutil.copytree(os.path.join(FIXTURES, "mm21"), dst, symlinks=True)
    subprocess.run([sys.executable, os.path.join(TOOLS, "mkfixtures.py"), "--touch", dst],
                   check=True)
    shutil.rmtree(os.path.join(dst, "locks"))
    shutil.rmtree(os.path.join(dst, "data"))
    os.chmod(os.path.join(dst, "lists"), 0o2775)
    if gid is not None:
        os.chown(os.path.join(dst, "lists"), -1, gid)
    return dst


# a group other than ours, when we may give one (root), to see it is taken from lists/
gid = None
if os.geteuid() == 0:
    for name in ("mail", "list", "daemon"):
        try:
            gid = grp.getgrnam(name).gr_gid
            break
        except KeyError:
            pass
want_gid = gid if gid is not None else os.getegid()

with tempfile.TemporaryDirectory() as tmp:
    var = copied(tmp, "a", gid)
    before = tree(var)
    rc, out, err = run("repair", "-n", "-d", var, "de-verein")
    check(rc == 1, "dry run with directories to create: exit 1 (got %d %s)" % (rc, err))
    check("data/ and locks/ missing" in out.decode() and "would be created" in out.decode(),
          "the dry run says what it would create:\n%s" % out.decode())
    check(tree(var) == before, "the dry run changes nothing")
    rc, out, err = run("repair", "-n", "--json", "-d", var, "de-verein")
    notes = json.loads(out)["notes"]
    check(any(n["code"] == "create-dirs" for n in notes), "the JSON plan has the note")

    rc, out, err = run("repair", "-d", var, "roster-mess")
    check(rc == 0, "repair on a copied var prefix works (got %d %s)" % (rc, err))
    for d in ("locks", "data"):
        st = os.lstat(os.path.join(var, d))
        check(stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o2775,
              "%s/ made with mode 02775 (got %o)" % (d, stat.S_IMODE(st.st_mode)))
        check(st.st_gid == want_gid, "%s/ has the group of lists/ (%d, want %d)"
              % (d, st.st_gid, want_gid))
    text = out.decode()
    check("data/ was missing: created" in text and "locks/ was missing: created" in text,
          "the report says both were created:\n%s" % text)
    rc, out, err = run("history", "--json", "-d", var)
    runs = json.loads(out)["runs"]
    check([r["command"] for r in runs] == ["repair", "prepare"], "locks/ journaled as its own "
          "run before the repair (%s)" % [r["command"] for r in runs])
    check(os.listdir(os.path.join(var, "locks")) == [], "no lock left")
    rc, out, err = run("repair", "-n", "-d", var, "de-verein")
    check(rc == 0, "nothing left to create (%d)" % rc)

    # convert into a list's directory of a copied prefix
    var = copied(tmp, "b", gid)
    js = os.path.join(tmp, "cs.json")
    rc, out, err = run("convert", os.path.join(var, "lists", "cs", "config.pck"), js)
    rc, out, err = run("convert", js, os.path.join(var, "lists", "cs", "config.pck"))
    check(rc == 0, "convert into a copied prefix (%d %s)" % (rc, err))
    check("locks/ was missing: created" in err, "and says what it created (%s)" % err)
    check(os.path.isdir(os.path.join(var, "locks")), "locks/ is there")

finish()
