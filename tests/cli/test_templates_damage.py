"""scan reports an installation an older bin/update damaged (SPEC §5): the
Czech templates of templates/cs/ renamed into lists/cs/ by Mailman 2.1
final's bin/update for a list named cs. In a source install the problem
says mmfix puts them back; with the install dir elsewhere (Debian) it gives
the command, and that command restores templates/cs/ exactly. The list's
own customised listinfo.html is never counted as a stray."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, finish, run

MM20 = os.path.join(FIXTURES, "mm20")
EXTRA_CZECH = {
    "help.txt": "Nápověda pro konferenci %(listname)s\n",
    "verify.txt": "Potvrzení přihlášky do konference %(listname)s\n",
    "postheld.txt": "Váš příspěvek čeká na schválení\n",
}


def snapshot(d):
    return sorted((n, open(os.path.join(d, n), "rb").read()) for n in os.listdir(d))


def build(var, lib):
    """fixtures/mm20 with a fuller Czech set, then damaged; returns the state
    of templates/cs/ before the damage"""
    for part in ("lists", "data"):
        shutil.copytree(os.path.join(MM20, part), os.path.join(var, part), symlinks=True)
    for part in ("Mailman", "templates", "messages"):
        shutil.copytree(os.path.join(MM20, part), os.path.join(lib, part), symlinks=True)
    tcs = os.path.join(lib, "templates", "cs")
    for name, text in EXTRA_CZECH.items():
        with open(os.path.join(tcs, name), "w", encoding="iso-8859-2") as fp:
            fp.write(text)
    with open(os.path.join(var, "lists", "cs", "listinfo.html"), "a") as fp:
        fp.write("<!-- nase vlastni stranka -->\n")
    before = snapshot(tcs)
    # what Mailman 2.1 final's bin/update does for a list named cs
    for name in os.listdir(tcs):
        dst = os.path.join(var, "lists", "cs", name)
        if not os.path.exists(dst):
            os.rename(os.path.join(tcs, name), dst)
    return before


def damaged(out):
    doc = json.loads(out)
    return [p for p in doc["problems"] if p["code"] == "templates-damaged"]


with tempfile.TemporaryDirectory() as tmp:
    # a source install: var prefix == install dir
    src = os.path.join(tmp, "src")
    os.mkdir(src)
    build(src, src)
    rc, out, err = run("scan", "--json", "-j", "1", "-d", src)
    found = damaged(out)
    check(rc == 1, "scan of a damaged installation exits 1 (got %d: %s)" % (rc, err))
    check(len(found) == 1 and found[0]["list"] == "cs" and found[0]["severity"] == "error",
          "one templates-damaged error for cs: %r" % found)
    msg = found[0]["message"] if found else ""
    check("holds 5 global templates" in msg, "five strays, not the list's own listinfo.html: "
          + msg)
    check("mmfix update moves them back into templates/cs" in msg, msg)
    rc, out, err = run("scan", "-j", "1", "-d", src)
    check("templates-damaged" in out.decode(), "the text report names the problem too")

    # Debian: lists/ in the var prefix, templates/ in the install dir
    var = os.path.join(tmp, "var")
    lib = os.path.join(tmp, "lib")
    os.mkdir(var)
    os.mkdir(lib)
    before = build(var, lib)
    rc, out, err = run("scan", "--json", "-j", "1", "-d", var, "--install-dir", lib)
    found = damaged(out)
    check(len(found) == 1, "damage found with the install dir elsewhere: %r" % found)
    msg = found[0]["message"] if found else ""
    marker = "put them back with: "
    check(marker in msg, "the problem gives the command: " + msg)
    if marker in msg:
        cmd = msg[msg.index(marker) + len(marker):]
        subprocess.run(["/bin/sh", "-c", cmd], check=True)
        check(snapshot(os.path.join(lib, "templates", "cs")) == before,
              "the command puts templates/cs/ back byte for byte")
        check(os.path.exists(os.path.join(var, "lists", "cs", "listinfo.html")),
              "the list's own listinfo.html stays in lists/cs/")
        rc, out, err = run("scan", "--json", "-j", "1", "-d", var, "--install-dir", lib)
        check(damaged(out) == [], "no damage once the command ran")

finish()
