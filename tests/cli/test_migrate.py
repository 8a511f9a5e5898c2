"""migrate over a copy of the bundled 2.0 example installation (fixtures/demo):
the dry run prints one report with the upgrade, the URL changes and the alias
file diff, and changes nothing; migrate then upgrades every list, moves its
web and mail host as fix_url.py does, writes data/aliases that real Postfix's
postalias finds every list address in, leaves a tree scan finds no error in,
and is one journaled run: rolled back (with the run that made locks/) it
gives back the exact original bytes. Postfix's own aliases.db is not
journaled (postalias rebuilds it), so it is left out of the comparison."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, entries_digest, finish, run

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import py2pickle  # noqa: E402

HOST = "listas.example.org"
POSTALIAS = shutil.which("postalias") or "/usr/sbin/postalias"
POSTMAP = shutil.which("postmap") or "/usr/sbin/postmap"


def digest(top):
    """Postfix's own .db maps are not journaled (postalias rebuilds them)"""
    return entries_digest(top, skip=("data/aliases.db", "data/virtual-mailman.db"))


with tempfile.TemporaryDirectory() as tmp:
    var = os.path.join(tmp, "var")
    shutil.copytree(os.path.join(FIXTURES, "demo"), var, symlinks=True)
    pf = os.path.join(tmp, "postfix")
    os.mkdir(pf)
    open(os.path.join(pf, "main.cf"), "w").close()
    start = digest(var)
    lists = sorted(os.listdir(os.path.join(var, "lists")))

    rc, out, err = run("scan", "--json", "-d", var)
    dangling = sorted(p["list"] for l in json.loads(out)["lists"] for p in l["problems"]
                      if p["code"] == "archive-link-dangling")
    check(dangling == lists, "scan reports the public archive links into the old host: %s"
          % dangling)

    rc, out, err = run("migrate", "-n", "-d", var, "--url-host", HOST)
    text = out.decode()
    check(rc == 1, "migrate --dry-run exits 1 (got %d: %s)" % (rc, err))
    check(digest(var) == start, "the dry run changes nothing")
    check("+data_version = 112" in text, "the report has the upgrade")
    check("+web_page_url = 'http://%s/mailman/'" % HOST in text, "the URL changes")
    check("+++ data/aliases (after)" in text, "the alias file diff")
    rc, out, err = run("migrate", "-n", "--json", "-d", var, "--url-host", HOST)
    doc = json.loads(out)
    check({"changes", "files", "aliases"} <= set(doc), "one JSON document: %s" % sorted(doc))

    rc, out, err = run("migrate", "-d", var, "--url-host", HOST, "--postalias", POSTALIAS,
                       "--postmap", POSTMAP, "--postfix-config", pf)
    check(rc == 0, "migrate exits 0 (got %d: %s)" % (rc, err))
    check("0 not found" in out.decode(), "every list address found by postalias -q")
    for name in lists:
        cfg = py2pickle.loads_stub(open(os.path.join(var, "lists", name, "config.pck"),
                                        "rb").read())
        check(cfg[b"data_version"] == 112, "%s upgraded" % name)
        check(cfg[b"web_page_url"] == b"http://%s/mailman/" % HOST.encode(),
              "%s web_page_url" % name)
        q = subprocess.run([POSTALIAS, "-c", pf, "-q", name,
                            os.path.join(var, "data", "aliases")], capture_output=True)
        check(q.returncode == 0 and name.encode() in q.stdout, "postalias -q %s" % name)
    rc, out, err = run("scan", "--json", "-d", var)
    doc = json.loads(out)
    errors = [p for l in doc["lists"] for p in l["problems"] if p["severity"] == "error"]
    errors += [p for p in doc["problems"] if p["severity"] == "error"]
    check(errors == [], "scan finds no error after migrate: %s" % errors)
    check(not [p for l in doc["lists"] for p in l["problems"]
               if p["code"] == "archive-link-dangling"],
          "the archive links point into this installation now")
    rc, out, err = run("history", "--json", "-d", var)
    runs = json.loads(out)["runs"]
    check([r["command"] for r in runs] == ["migrate", "prepare"],
          "one migrate run (after the one that made locks/): %s" % [r["command"] for r in runs])
    rc1, _, err1 = run("rollback", "-d", var)
    rc2, _, err2 = run("rollback", "-d", var)
    check(rc1 == 0 and rc2 == 0, "both rolled back (%s %s)" % (err1, err2))
    check(digest(var) == start, "rollback gives back the exact original bytes")

# --rewrite-text over fixtures/mm20, whose cs list has its own listinfo.html that update
# moves into lists/cs/<lang>/: the moved copy is rewritten, and so are text values
# (owner), not member addresses; rolled back exactly
with tempfile.TemporaryDirectory() as tmp:
    var = os.path.join(tmp, "var")
    shutil.copytree(os.path.join(FIXTURES, "mm20"), var, symlinks=True)
    os.makedirs(os.path.join(var, "locks"), exist_ok=True)
    own = os.path.join(var, "lists", "cs", "listinfo.html")
    with open(own, "ab") as fp:
        fp.write(b'<!-- own --><a href="http://www.example.org/mailman/listinfo/cs">'
                 b'www.example.org</a>\n')
    start = digest(var)
    rw = ["--rewrite-text", "www.example.org=" + HOST,
          "--rewrite-text", "@example.org=@" + HOST]
    rc, out, err = run("migrate", "-n", "-d", var, "--url-host", HOST,
                       "--postalias", "/bin/true", "--postmap", "/bin/true", *rw)
    text = out.decode()
    check(rc == 1 and digest(var) == start, "migrate --rewrite-text --dry-run changes nothing")
    check("template-rewritten" in text and "listinfo.html: 2 occurrences rewritten" in text,
          "the moved template's occurrences are shown: %s" % text[-1500:])
    check("owner: 1 occurrence rewritten" in text, "the owner address is shown")
    rc, out, err = run("migrate", "-n", "-d", var, "--rewrite-text", "a=b")
    check(rc == 64, "--rewrite-text needs --url-host or --email-host (%d)" % rc)
    rc, out, err = run("migrate", "-d", var, "--url-host", HOST,
                       "--postalias", "/bin/true", "--postmap", "/bin/true", *rw)
    check(rc == 0, "migrate --rewrite-text exits 0 (got %d: %s)" % (rc, err))
    moved = [os.path.join(var, "lists", "cs", d, "listinfo.html")
             for d in os.listdir(os.path.join(var, "lists", "cs"))
             if os.path.isdir(os.path.join(var, "lists", "cs", d))]
    moved = [m for m in moved if os.path.exists(m)]
    body = open(moved[0], "rb").read() if len(moved) == 1 else b""
    check(b"<!-- own -->" in body and b"www.example.org" not in body
          and body.count(HOST.encode()) == 2,
          "the list's own template, moved by update, is rewritten: %r" % body[-120:])
    cfg = py2pickle.loads_stub(open(os.path.join(var, "lists", "cs", "config.pck"),
                                    "rb").read())
    check(cfg[b"owner"] == [b"owner-cs@" + HOST.encode()], "owner rewritten: %r" % cfg[b"owner"])
    check(b"vera.weber@example.org" in cfg[b"members"], "member addresses are left alone")
    rc1, _, err1 = run("rollback", "-d", var)
    check(rc1 == 0, "rolled back (%s)" % err1)
    runs = json.loads(run("history", "--json", "-d", var)[1])["runs"]
    for r in runs:
        if r["status"] == "done":
            run("rollback", "-d", var, str(r["id"]))
    check(digest(var) == start, "rollback gives back the exact original bytes")

finish()
