"""repair, history, rollback over copies of fixtures/mm21: the dry run
changes nothing and shows exactly what repair then does; Mailman's own
recovery (.corrupt, .safety); locks; rollback restores the exact tree; a
run killed at any point leaves every list loadable and the next command
brings the tree back to all-before."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, finish, from_typed, mmfix_argv, run, tree_digest

TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")
LISTS = ["roster-mess", "broken", "hostile", "zh-old"]


def digest(top, times=True):
    """bytes, mode, owner and (times) mtime of every file, except mmfix's
    own journal"""
    return tree_digest(top, times)


def fresh(tmp, tag):
    dst = os.path.join(tmp, tag)
    shutil.copytree(os.path.join(FIXTURES, "mm21"), dst, symlinks=True)
    subprocess.run([sys.executable, os.path.join(TOOLS, "mkfixtures.py"), "--touch", dst],
                   check=True)
    return dst


def apply_changes(config, changes, cs):
    """what the dry run's JSON says, applied to a show --json config"""
    for c in changes:
        attr = c["attribute"]
        if "key" in c:
            key = c["key"] if isinstance(c["key"], str) else json.dumps(c["key"])
            d = config.setdefault(attr, {})
            if c["after"] is None:
                d.pop(key, None)
            else:
                d[key] = c["after"]
        elif "index" in c:
            config[attr][c["index"]] = c["after"]
        elif c["after"] is None:
            config.pop(attr, None)
        else:
            config[attr] = c["after"]
    return config


def canon(config, cs):
    return from_typed(config, cs)


with tempfile.TemporaryDirectory() as tmp:
    var = fresh(tmp, "a")
    start = digest(var)

    # dry run: nothing changes, exit 1, the report names each change
    rc, out, err = run("repair", "-n", "-d", var, "roster-mess")
    check(rc == 1, "repair --dry-run with work to do exits 1 (got %d: %s)" % (rc, err))
    check(digest(var) == start, "repair --dry-run changes nothing on disk")
    text = out.decode()
    check("--- lists/roster-mess/config.pck\n+++ lists/roster-mess/config.pck (after)\n" in text,
          "unified-diff header")
    check("+members['upper.case@example.org'] = " in text, "member re-keyed, shown per key")
    check("write  lists/roster-mess/config.pck" in text, "file operation listed")
    rc, out, err = run("repair", "-n", "--json", "-d", var, "roster-mess")
    plan = json.loads(out)
    check(set(plan) >= {"changes", "files", "problems", "summary"}, "JSON plan shape")
    check(digest(var) == start, "JSON dry run changes nothing either")
    rc, before, err = run("show", "--json", "-d", var, "roster-mess")
    before = json.loads(before)

    rc, out, err = run("repair", "-d", var, "roster-mess")
    check(rc == 0, "repair exits 0 (got %d: %s)" % (rc, err))
    rc, after, err = run("show", "--json", "-d", var, "roster-mess")
    after = json.loads(after)
    cs = after["charset"]
    want = apply_changes(json.loads(json.dumps(before["config"])), plan["changes"], cs)
    check(canon(after["config"], cs) == canon(want, cs), "repair did exactly what the dry run showed")
    rc, out, err = run("repair", "-n", "-d", var, "roster-mess")
    check(rc == 0, "a repaired list has nothing left to repair (got %d)" % rc)
    rc, out, err = run("scan", "--json", "-d", var, "roster-mess")
    codes = {p["code"] for p in json.loads(out)["lists"][0]["problems"]}
    check(codes <= {"roster-invalid-address"}, "scan is clean but for the address a person must fix: %s" % codes)

    # Mailman's own recovery for a corrupt and a hostile config.pck
    lists = os.path.join(var, "lists")
    bad = open(os.path.join(lists, "broken", "config.pck"), "rb").read()
    last = open(os.path.join(lists, "broken", "config.pck.last"), "rb").read()
    rc, out, err = run("repair", "-d", var, "broken", "hostile")
    check(rc == 0, "repair broken hostile exits 0 (%s)" % err)
    check(open(os.path.join(lists, "broken", "config.pck.corrupt"), "rb").read() == bad,
          "the bad file kept as config.pck.corrupt")
    check(open(os.path.join(lists, "broken", "config.pck.safety"), "rb").read() == last,
          "config.pck.last copied to config.pck.safety")
    check(open(os.path.join(lists, "broken", "config.pck"), "rb").read() == last,
          "config.pck restored from .last byte for byte")
    check(open(os.path.join(lists, "broken", "config.pck.last"), "rb").read() == last,
          ".last kept")
    rc, out, err = run("check", "--json", "-d", var, "broken", "hostile")
    check(rc == 0, "check is clean after the repair (got %d)" % rc)
    check(os.path.exists(os.path.join(lists, "hostile", "config.pck.corrupt")),
          "the hostile file moved aside, not deleted")

    rc, out, err = run("history", "--json", "-d", var)
    runs = json.loads(out)["runs"]
    check(len(runs) == 2 and all(r["status"] == "done" for r in runs), "history: two runs done")

    # rollback, newest first, restores the tree exactly
    rc, out, err = run("rollback", "-n", "-d", var)
    check(rc == 1 and "restore" in out.decode(), "rollback --dry-run lists what it would do")
    rc, out, err = run("rollback", "-d", var)
    check(rc == 0, "rollback of the last run (%s)" % err)
    rc, out, err = run("rollback", "-d", var, str(runs[-1]["run"]))
    check(rc == 0, "rollback of the first run (%s)" % err)
    check(digest(var) == start, "after both rollbacks the tree is as it was")
    rc, out, err = run("rollback", "-d", var, str(runs[-1]["run"]))
    check(rc != 0, "a run cannot be rolled back twice")

    # rollback refuses a file changed since, unless --force
    rc, out, err = run("repair", "-d", var, "roster-mess")
    cfg = os.path.join(lists, "roster-mess", "config.pck")
    data = open(cfg, "rb").read()
    open(cfg, "wb").write(data + b"edited")  # someone changed it after the run
    rc, out, err = run("rollback", "-d", var)
    check(rc != 0 and "changed" in err, "rollback refuses a file changed since (%s)" % err.strip())
    rc, out, err = run("rollback", "--force", "-d", var)
    check(rc == 0, "rollback --force restores anyway")

    # a list locked by a live process is not touched: exit 75
    var = fresh(tmp, "b")
    start = digest(var)
    holder = subprocess.Popen([sys.executable, os.path.join(TOOLS, "mm_lockfile.py"), "hold",
                               "--seconds", "30", os.path.join(var, "locks", "roster-mess.lock")],
                              stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    check(holder.stdout.readline().startswith(b"locked"), "the Mailman-protocol holder has the lock")
    rc, out, err = run("repair", "-d", var, "roster-mess")
    check(rc == 75, "locked list: exit 75 (got %d: %s)" % (rc, err))
    holder.stdin.write(b"\n")
    holder.stdin.flush()
    holder.wait()
    check(digest(var) == start, "the locked list was not touched")
    rc, out, err = run("repair", "--lock-timeout", "5", "-d", var, "roster-mess")
    check(rc == 0, "once Mailman lets go, repair goes ahead (%d %s)" % (rc, err))
    # rollback writes too: it waits for Mailman's lock the same way
    after_repair = digest(os.path.join(var, "lists"))
    holder = subprocess.Popen([sys.executable, os.path.join(TOOLS, "mm_lockfile.py"), "hold",
                               "--seconds", "30", os.path.join(var, "locks", "roster-mess.lock")],
                              stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    holder.stdout.readline()
    rc, out, err = run("rollback", "-d", var)
    check(rc == 75, "rollback of a locked list: exit 75 (got %d: %s)" % (rc, err))
    check(digest(os.path.join(var, "lists")) == after_repair,
          "nothing restored while Mailman holds the lock")
    holder.stdin.write(b"\n")
    holder.stdin.flush()
    holder.wait()
    rc, out, err = run("rollback", "-d", var)
    check(rc == 0 and digest(var) == start, "then rollback restores the tree (%d %s)" % (rc, err))
    # an expired lock (mtime + 10 s in the past), as a dead Mailman leaves it
    var = fresh(tmp, "b2")
    lock = os.path.join(var, "locks", "roster-mess.lock")
    claimant = lock + ".otherhost.4242.0"
    open(claimant, "w").write(claimant)
    os.link(claimant, lock)
    os.utime(lock, (time.time() - 60, time.time() - 60))
    rc, out, err = run("repair", "-d", var, "roster-mess")
    check(rc == 0, "an expired lock is broken as Mailman would (%d %s)" % (rc, err))
    check(not os.path.exists(lock) and not os.path.exists(claimant),
          "the expired lock and its claimant file are gone")

    # killed at every point of a multi-list run
    var = fresh(tmp, "c")
    start = digest(var)
    rc, out, err = run("repair", "-n", "--json", "-d", var, *LISTS)
    nops = len(json.loads(out)["files"])
    check(nops >= 6, "the multi-list run has several file operations (%d)" % nops)
    ref = fresh(tmp, "ref")
    run("repair", "-d", ref, *LISTS)
    done_digest = digest(ref, times=False)
    for n in range(1, nops + 1):
        var = fresh(tmp, "k%d" % n)
        rc, out, err = run("repair", "-d", var, *LISTS, env={"MMFIX_TEST_CRASH_AFTER": str(n)})
        check(rc == -signal.SIGKILL, "killed after operation %d (rc %d)" % (n, rc))
        rc, out, err = run("check", "--json", "-d", var, *LISTS)
        loads = {l["name"]: l["loads_from"] for l in json.loads(out)["lists"]}
        check(all(loads.values()), "after a kill at %d every list still loads: %s" % (n, loads))
        check("interrupted" in err, "the next command rolls the run back (%d)" % n)
        check(digest(var) == start, "all-before after a kill at operation %d" % n)
    rnd = random.Random(4)
    for i in range(6):
        var = fresh(tmp, "r%d" % i)
        p = subprocess.Popen(mmfix_argv("repair", "-d", var, *LISTS), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.0, 0.25))
        p.kill()
        p.wait()
        rc, out, err = run("check", "--json", "-d", var, *LISTS)
        loads = {l["name"]: l["loads_from"] for l in json.loads(out)["lists"]}
        check(all(loads.values()), "random kill %d: every list loads" % i)
        check(digest(var) == start or digest(var, times=False) == done_digest,
              "random kill %d: all-before or all-after" % i)

finish()
