"""rename over a copy of the real Mailman 2.1.39 installation in
../shared/corpus/mm21-sample (its archive links made symbolic links again,
as Mailman made them): the dry run changes nothing and shows what rename
then does; the renamed list loads, keeps its members, held messages,
archives and links, and scan finds no problem for it; refusals change
nothing; rollback and a kill at every operation give back the exact tree;
a locked name is not touched; an upper-case 2.0 list name is cured."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, FIXTURES, check, copy_mm21, entries_digest, finish, run

TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")
sys.path.insert(0, TOOLS)
import py2pickle  # noqa: E402

SITE = os.path.join(CORPUS, "site")


def digest(top):
    return entries_digest(top)


def install(tmp, tag):
    var = copy_mm21(os.path.join(tmp, tag))
    # a Mailman 2.0 held message, kept as text (2.1.39 still reads those)
    with open(os.path.join(var, "data", "heldmsg-es-99.txt"), "wb") as f:
        f.write(b"From: a@example.org\n\nheld under 2.0\n")
    for d in ("locks",):
        os.makedirs(os.path.join(var, d), exist_ok=True)
        os.chmod(os.path.join(var, d), 0o2775)
    return var


def mm(*args, **kw):
    return run(*args[:1], "-d", kw.pop("var"), "--install-dir", SITE, *args[1:], **kw)


def config(var, name):
    return py2pickle.loads_stub(open(os.path.join(var, "lists", name, "config.pck"), "rb").read())


with tempfile.TemporaryDirectory() as tmp:
    var = install(tmp, "a")
    start = digest(var)
    before = config(var, "es")

    rc, out, err = mm("rename", "-n", "es", "espanol", var=var)
    check(rc == 1, "rename --dry-run exits 1 (got %d: %s)" % (rc, err))
    check(digest(var) == start, "the dry run changes nothing")
    text = out.decode()
    check("-real_name = 'Es'\n+real_name = 'Espanol'" in text, "real_name shown:\n" + text)
    check("move   lists/es -> lists/espanol" in text, "directory move shown")
    rc, out, err = mm("rename", "-n", "--json", "es", "espanol", var=var)
    plan = json.loads(out)
    moves = [(f["path"], f["to"]) for f in plan["files"] if f["action"] == "move"]

    rc, out, err = mm("rename", "es", "espanol", var=var)
    check(rc == 0, "rename exits 0 (got %d: %s)" % (rc, err))
    for frm, to in moves:
        check(not os.path.lexists(os.path.join(var, frm)) and
              os.path.lexists(os.path.join(var, to)), "moved as shown: %s -> %s" % (frm, to))
    after = config(var, "espanol")
    check(after[b"real_name"] == b"Espanol", "real_name is Espanol")
    check(after[b"subject_prefix"] == "[espanol] ", "subject_prefix follows the name")
    same = {k for k in before if k not in (b"real_name", b"subject_prefix")}
    check(all(before[k] == after[k] for k in same), "every other attribute unchanged")
    check(config(var, "espanol") is not None and
          py2pickle.loads_stub(open(os.path.join(var, "lists", "espanol", "config.pck.last"),
                                    "rb").read())[b"real_name"] == b"Es",
          ".last keeps the generation with the old name")
    req = py2pickle.loads_stub(open(os.path.join(var, "lists", "espanol", "request.pck"),
                                    "rb").read())
    files = [rec[1][4] for rec in req.values() if isinstance(rec, tuple) and rec[0] == 1]
    check(files and all(f.startswith(b"heldmsg-espanol-") for f in files),
          "held messages named for the new list: %s" % files)
    check(all(os.path.exists(os.path.join(var, "data", f.decode())) for f in files),
          "and their files are there")
    check(not any(n.startswith("heldmsg-es-") for n in os.listdir(os.path.join(var, "data"))),
          "no held message left under the old name")
    check(os.path.exists(os.path.join(var, "data", "heldmsg-espanol-99.txt")),
          "a 2.0 text held message moved too")
    check(os.readlink(os.path.join(var, "archives", "public", "espanol")) ==
          os.path.join(var, "archives", "private", "espanol"), "public archive link re-pointed")
    check(not os.path.lexists(os.path.join(var, "archives", "public", "es")),
          "old public link gone")
    check(os.path.isfile(os.path.join(var, "archives", "private", "espanol.mbox",
                                      "espanol.mbox")), "mbox renamed inside its directory")
    rc, out, err = mm("scan", "--json", "espanol", var=var)
    lst = json.loads(out)["lists"][0]
    check(lst["problems"] == [], "scan finds no problem for the renamed list: %s"
          % lst["problems"])
    check(lst["members"] > 0, "the renamed list loads with its members")
    rc, out, err = mm("check", "espanol", var=var)
    check(rc == 0, "check: every file of the renamed list loads (%d %s)" % (rc, err))
    check(os.listdir(os.path.join(var, "locks")) == [], "no lock left")

    rc, out, err = mm("rollback", var=var)
    check(rc == 0, "rollback of the rename (%s)" % err)
    check(digest(var) == start, "rollback gives back the exact tree")

    # refusals change nothing
    for new, code in (("test-en", 73), ("Bad", 64), ("a/b", 64), ("../x", 64),
                      ("x;rm -rf y", 64), ("de", 64), ("en", 64), ("site", 64), ("", 64)):
        rc, out, err = mm("rename", "es", new, var=var)
        check(rc == code, "rename es %r: exit %d (got %d: %s)" % (new, code, rc, err.strip()))
        check(digest(var) == start, "rename es %r changed nothing" % new)
    for old, code in (("nolist", 66), ("lists/es", 64), ("..", 64)):
        rc, out, err = mm("rename", old, "nuevo", var=var)
        check(rc == code, "rename %r: exit %d (got %d)" % (old, code, rc))
        check(digest(var) == start, "rename %r changed nothing" % old)

    # killed at every operation: the next command gives back the tree before
    nops = len(plan["files"])
    for n in range(1, nops + 1):
        v = install(tmp, "kill%d" % n)
        s0 = digest(v)
        rc, out, err = mm("rename", "es", "espanol", var=v,
                          env={"MMFIX_TEST_CRASH_AFTER": str(n)})
        check(rc == -9, "killed after operation %d (got %d)" % (n, rc))
        rc, out, err = mm("scan", var=v)
        check("rolled back" in err, "the next command rolls it back (%s)" % err)
        check(digest(v) == s0, "killed after %d of %d: all-before" % (n, nops))
        shutil.rmtree(v)
    print("killed at %d points" % nops)

    # a name Mailman holds locked (old or new) is not touched
    for who in ("es", "espanol"):
        holder = subprocess.Popen([sys.executable, os.path.join(TOOLS, "mm_lockfile.py"),
                                   "hold", "--seconds", "30",
                                   os.path.join(var, "locks", who + ".lock")],
                                  stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        holder.stdout.readline()
        rc, out, err = mm("rename", "es", "espanol", var=var)
        check(rc == 75, "%s locked: exit 75 (got %d %s)" % (who, rc, err))
        holder.stdin.write(b"\n")
        holder.stdin.flush()
        holder.wait()
        check(digest(var) == start, "%s locked: nothing changed" % who)

    # the cure for a name Mailman 2.1.20+ cannot see
    v = os.path.join(tmp, "mm21")
    shutil.copytree(os.path.join(FIXTURES, "mm21"), v, symlinks=True)
    rc, out, err = run("rename", "-d", v, "Upper-Case", "upper-case")
    check(rc == 0, "rename Upper-Case upper-case (%d %s)" % (rc, err))
    rc, out, err = run("scan", "--json", "-d", v, "upper-case")
    codes = [p["code"] for p in json.loads(out)["lists"][0]["problems"]]
    check("invalid-list-name" not in codes and "list-name-invalid" not in codes,
          "the renamed list's name is valid now: %s" % codes)

finish()
