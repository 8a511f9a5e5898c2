"""`mmfix update` and the cs collision (issue 7, SPEC §5), over copies of
fixtures/mm20 (a 2.0 source install with a list named cs, the Czech
templates/cs/ of 2.1 and the flat 2.0 templates/): after update,
templates/cs/ is byte-identical and the list's own customised template is in
lists/cs/<lang>/, its stock copies removed; on an installation an older
bin/update damaged (templates/cs/ renamed into lists/cs/), update puts
templates/cs/ back; a rollback restores the tree before exactly."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, entries_digest, finish, run

MM20 = os.path.join(FIXTURES, "mm20")
OWN = b"<!-- nase vlastni stranka -->\n"


def snapshot(d):
    return sorted((n, open(os.path.join(d, n), "rb").read()) for n in os.listdir(d))


def digest(top):
    return entries_digest(top)


# a fuller Czech set, as Mailman 2.1 installs it (the fixture has three files)
EXTRA_CZECH = {
    "help.txt": "Nápověda pro konferenci %(listname)s\n",
    "verify.txt": "Potvrzení přihlášky do konference %(listname)s\n",
    "postheld.txt": "Váš příspěvek čeká na schválení\n",
}


def install(tmp, tag):
    var = os.path.join(tmp, tag)
    shutil.copytree(MM20, var, symlinks=True)
    os.makedirs(os.path.join(var, "locks"), exist_ok=True)
    for name, text in EXTRA_CZECH.items():
        with open(os.path.join(var, "templates", "cs", name), "w",
                  encoding="iso-8859-2") as fp:
            fp.write(text)
    with open(os.path.join(var, "lists", "cs", "listinfo.html"), "ab") as fp:
        fp.write(OWN)
    return var


with tempfile.TemporaryDirectory() as tmp:
    var = install(tmp, "a")
    tcs = os.path.join(var, "templates", "cs")
    czech = snapshot(tcs)
    start = digest(var)
    own = open(os.path.join(var, "lists", "cs", "listinfo.html"), "rb").read()
    flat = {n for n in os.listdir(os.path.join(var, "templates"))
            if os.path.isfile(os.path.join(var, "templates", n))}

    rc, out, err = run("update", "-n", "-d", var)
    check(rc == 1 and digest(var) == start, "update --dry-run: exit 1, nothing changed (%d %s)"
          % (rc, err))
    rc, out, err = run("update", "-d", var)
    check(rc == 0, "update exits 0 (got %d: %s)" % (rc, err))
    check(snapshot(tcs) == czech, "templates/cs/ is byte-identical after update")
    langdirs = [d for d in os.listdir(os.path.join(var, "lists", "cs"))
                if os.path.isdir(os.path.join(var, "lists", "cs", d))]
    moved = [os.path.join(var, "lists", "cs", d, "listinfo.html") for d in langdirs]
    moved = [p for p in moved if os.path.exists(p)]
    check(len(moved) == 1 and open(moved[0], "rb").read() == own,
          "the list's own listinfo.html is in lists/cs/<lang>/ (%s)" % moved)
    check(not os.path.exists(os.path.join(var, "lists", "cs", "listinfo.html")),
          "and no longer where 2.1 does not read it")
    for name in os.listdir(os.path.join(var, "lists", "cs")):
        p = os.path.join(var, "lists", "cs", name)
        if name in flat and os.path.isfile(p):
            check(open(p, "rb").read() != open(os.path.join(var, "templates", name),
                                               "rb").read(),
                  "a stock 2.0 copy is not left in lists/cs/: %s" % name)
    rc, out, err = run("update", "-n", "-d", var)
    check(rc == 0, "a second update --dry-run has nothing to do (%d)" % rc)
    rc, out, err = run("rollback", "-d", var)
    check(rc == 0 and digest(var) == start, "rollback restores the 2.0 tree (%d %s)" % (rc, err))

    # damaged by Mailman 2.1 final's bin/update: templates/cs/* renamed into lists/cs/
    var = install(tmp, "b")
    tcs = os.path.join(var, "templates", "cs")
    czech = snapshot(tcs)
    for name in os.listdir(tcs):
        dst = os.path.join(var, "lists", "cs", name)
        if not os.path.exists(dst):
            os.rename(os.path.join(tcs, name), dst)
    check(snapshot(tcs) != czech, "the fixture is damaged")
    rc, out, err = run("update", "-d", var)
    check(rc == 0, "update of the damaged installation exits 0 (%d %s)" % (rc, err))
    check(snapshot(tcs) == czech, "update put templates/cs/ back, byte for byte")
    check(OWN in b"".join(open(p, "rb").read() for p in
                          [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(var, "lists",
                                                                                   "cs"))
                           for f in fs if f == "listinfo.html"]),
          "the list's own listinfo.html is kept")
    rc, out, err = run("scan", "--json", "-d", var)
    check(b"templates-damaged" not in out, "scan finds no damage any more")

finish()
