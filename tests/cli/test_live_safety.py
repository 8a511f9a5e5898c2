"""Safe beside a live Mailman (issue 6), over copies of fixtures/mm21 with a
process that speaks Mailman's LockFile protocol (tests/tools/mm_lockfile.py)
and saves list files the way MailList.Save does:

- a change Mailman saves while repair waits for the list's lock is kept,
  and the repair is still done (the list is read under its lock);
- SIGTERM/SIGINT at every point of a multi-list run, while waiting for a
  lock, and at random moments: no lock left, the tree all-before or
  all-after;
- a journal failure after the files are written is rolled back under the
  locks; when the rollback fails too the locks stay until the next mmfix
  command settles the run, and a file Mailman saved under an expired lock is
  never rolled back over;
- convert onto a locked list's file exits 75 and changes nothing; onto an
  unlocked one it keeps .last and is journaled."""
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
from corpus_util import FIXTURES, check, entries_digest, finish, mmfix_argv, run

TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")
sys.path.insert(0, TOOLS)
import py2pickle  # noqa: E402

LISTS = ["roster-mess", "broken", "hostile", "zh-old"]
NEW = b"late.subscriber@example.org"


def digest(top):
    return entries_digest(top)


def fresh(tmp, tag):
    dst = os.path.join(tmp, tag)
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(os.path.join(FIXTURES, "mm21"), dst, symlinks=True)
    subprocess.run([sys.executable, os.path.join(TOOLS, "mkfixtures.py"), "--touch", dst],
                   check=True)
    return dst


def locks_of(var):
    return sorted(os.listdir(os.path.join(var, "locks")))


class Holder:
    """a Mailman process holding a list's lock"""

    def __init__(self, var, name):
        self.lock = os.path.join(var, "locks", name + ".lock")
        self.p = subprocess.Popen([sys.executable, os.path.join(TOOLS, "mm_lockfile.py"),
                                   "hold", "--seconds", "60", self.lock],
                                  stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        line = self.p.stdout.readline()
        check(line.startswith(b"locked"), "the Mailman-protocol holder has %s" % name)

    def release(self):
        self.p.stdin.write(b"\n")
        self.p.stdin.flush()
        self.p.wait(30)


def load(var, name, fname="config.pck"):
    return py2pickle.loads_stub(open(os.path.join(var, "lists", name, fname), "rb").read())


def mailman_save(var, name, mutate):
    """what MailList.Save does (under the lock the caller holds): pickle
    protocol 1 to a temp file, config.pck.last hard link, rename"""
    d = os.path.join(var, "lists", name)
    cfg = os.path.join(d, "config.pck")
    data = load(var, name)
    mutate(data)
    tmp = "%s.tmp.mailmanhost.%d" % (cfg, os.getpid())
    with open(tmp, "wb") as f:
        f.write(py2pickle.dumps(data, 1))
        f.flush()
        os.fsync(f.fileno())
    last = cfg + ".last"
    if os.path.exists(last):
        os.unlink(last)
    os.link(cfg, last)
    os.rename(tmp, cfg)


def subscribe(d):
    d[b"members"][NEW] = 0
    d[b"passwords"][NEW] = b"secret"


def txt(e):
    return e if isinstance(e, str) else e.decode(errors="replace")


def history(var):
    rc, out, err = run("history", "--json", "-d", var)
    return json.loads(out)["runs"]


def mmfix(args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.Popen(mmfix_argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=e)


with tempfile.TemporaryDirectory() as tmp:
    # -- 1. a change Mailman saves while repair waits for the lock is kept
    var = fresh(tmp, "wait")
    holder = Holder(var, "roster-mess")
    p = mmfix(["repair", "--lock-timeout", "30", "-d", var, "roster-mess"])
    time.sleep(1.0)
    check(p.poll() is None, "repair waits for the list's lock")
    mailman_save(var, "roster-mess", subscribe)
    holder.release()
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0, "repair goes ahead once Mailman lets go (%d %s)"
          % (p.returncode, txt(err)))
    after = load(var, "roster-mess")
    check(NEW in after[b"members"], "the member Mailman subscribed while mmfix waited is kept")
    check(after[b"passwords"].get(NEW) == b"secret", "with its password")
    check(NEW in load(var, "roster-mess", "config.pck.last")[b"members"],
          ".last is Mailman's save, the generation before the repair")
    rc, out, err = run("repair", "-n", "-d", var, "roster-mess")
    check(rc == 0, "and the repair was done: nothing left to repair (%d)" % rc)
    check(locks_of(var) == locks_of(os.path.join(FIXTURES, "mm21")), "no lock left behind")

    # -- 2. signals at every point of a multi-list run
    base = fresh(tmp, "base")
    start = digest(base)
    base_locks = locks_of(base)
    rc, out, err = run("repair", "-n", "--json", "-d", base, *LISTS)
    nops = len(json.loads(out)["files"])
    check(nops >= 6, "the multi-list run has several file operations (%d)" % nops)
    ref = fresh(tmp, "ref")
    rc, out, err = run("repair", "-d", ref, *LISTS)
    check(rc == 0, "reference run (%s)" % err)
    done = digest(ref)
    points = 0
    for sig in (signal.SIGTERM, signal.SIGINT):
        for n in range(0, nops + 1):
            var = fresh(tmp, "sig")
            rc, out, err = run("repair", "-d", var, *LISTS,
                               env={"MMFIX_TEST_SIGNAL_AFTER": "%d:%d" % (n, sig)})
            points += 1
            check(rc == 128 + sig, "%s after %d operations: exit %d (got %d: %s)"
                  % (sig.name, n, 128 + sig, rc, txt(err).strip()))
            check(locks_of(var) == base_locks, "%s after %d: no lock left (%s)"
                  % (sig.name, n, locks_of(var)))
            want = done if n == nops else start
            check(digest(var) == want, "%s after %d: the tree is all-%s"
                  % (sig.name, n, "after" if n == nops else "before"))
            runs = history(var)
            check(runs and runs[0]["status"] == ("done" if n == nops else "rolled-back"),
                  "%s after %d: the journal says so (%s)" % (sig.name, n, runs))
            rc, out, err = run("scan", "-d", var)
            check(digest(var) == want, "%s after %d: the next command changes nothing"
                  % (sig.name, n))
    print("signalled at %d points" % points)

    # -- while waiting for a lock: exit 143, nothing changed, no lock of ours left
    var = fresh(tmp, "waitsig")
    holder = Holder(var, "hostile")
    p = mmfix(["repair", "--lock-timeout", "30", "-d", var] + LISTS)
    time.sleep(1.0)
    check(p.poll() is None, "repair waits for the lock")
    p.send_signal(signal.SIGTERM)
    p.send_signal(signal.SIGTERM)      # a second signal changes nothing
    out, err = p.communicate(timeout=30)
    check(p.returncode == 143, "SIGTERM while waiting: exit 143 (got %d: %s)"
          % (p.returncode, txt(err)))
    left = [x for x in locks_of(var) if x not in base_locks and not x.startswith("hostile.lock")]
    check(left == [], "no lock of mmfix's is left (%s)" % left)
    holder.release()
    check(digest(var) == start, "and nothing was changed")

    # -- at random moments, one or two signals
    rnd = random.Random(6)
    outcomes = set()
    for i in range(16):
        var = fresh(tmp, "rnd")
        p = mmfix(["repair", "-d", var] + LISTS)
        time.sleep(rnd.uniform(0.0, 0.6))
        sig = rnd.choice([signal.SIGTERM, signal.SIGINT])
        try:
            p.send_signal(sig)
            if i % 3 == 0:
                p.send_signal(sig)
        except ProcessLookupError:
            pass
        out, err = p.communicate(timeout=60)
        outcomes.add(p.returncode)
        check(p.returncode in (0, 128 + sig, -sig),
              "random %s: exit %d (%s)" % (sig.name, p.returncode, txt(err)))
        check(locks_of(var) == base_locks, "random %s: no lock left (%s)"
              % (sig.name, locks_of(var)))
        run("scan", "-d", var)
        check(digest(var) in (start, done), "random %s: the tree is all-before or all-after"
              % sig.name)
    print("random signals: exit codes %s" % sorted(outcomes))

    # -- 3. the journal fails after the files are written
    var = fresh(tmp, "jafter")
    rc, out, err = run("repair", "-d", var, *LISTS, env={"MMFIX_TEST_FAIL_JOURNAL_AFTER": "*"})
    check(rc == 74, "after-image failure: exit 74 (got %d)" % rc)
    check("rolled back" in txt(err), "it says the run was rolled back (%s)" % txt(err))
    check(digest(var) == start, "the run was rolled back under the locks")
    check(locks_of(var) == base_locks, "and the locks released")
    check(history(var)[0]["status"] == "rolled-back", "the journal says rolled-back")
    holder = Holder(var, "roster-mess")
    mailman_save(var, "roster-mess", subscribe)
    holder.release()
    saved = digest(var)
    rc, out, err = run("scan", "-d", var)
    check(digest(var) == saved, "the next command changes nothing Mailman saved")

    # ... and rolling back fails too: the locks stay until the next command
    var = fresh(tmp, "jboth")
    rc, out, err = run("repair", "-d", var, *LISTS,
                       env={"MMFIX_TEST_FAIL_JOURNAL_AFTER": "*",
                            "MMFIX_TEST_FAIL_JOURNAL_ROLLBACK": "*"})
    check(rc == 74 and "stay locked" in txt(err),
          "rollback failure: exit 74, the lists stay locked (%d %s)" % (rc, txt(err)))
    for name in LISTS:
        check(name + ".lock" in locks_of(var), "%s stays locked" % name)
    t = subprocess.run([sys.executable, os.path.join(TOOLS, "mm_lockfile.py"), "try",
                        "--timeout", "0.5", os.path.join(var, "locks", "roster-mess.lock")])
    check(t.returncode == 2, "Mailman cannot take the list (%d)" % t.returncode)
    rc, out, err = run("scan", "-d", var)
    check("rolled back" in txt(err), "the next command rolls the run back (%s)"
          % txt(err))
    check(digest(var) == start, "to the exact tree before it")
    check(locks_of(var) == base_locks, "and clears the locks the dead run kept")

    # ... and a lock expired meanwhile: what Mailman saved is not rolled back over
    var = fresh(tmp, "jexpired")
    run("repair", "-d", var, *LISTS, env={"MMFIX_TEST_FAIL_JOURNAL_AFTER": "*",
                            "MMFIX_TEST_FAIL_JOURNAL_ROLLBACK": "*"})
    lock = os.path.join(var, "locks", "roster-mess.lock")
    claim = open(lock).read()
    os.unlink(lock)                    # broken by Mailman once expired
    os.unlink(claim)
    holder = Holder(var, "roster-mess")
    mailman_save(var, "roster-mess", subscribe)
    holder.release()
    rc, out, err = run("scan", "-d", var)
    check(rc == 74 and "not rolled back" in txt(err) and "roster-mess" in txt(err),
          "recovery refuses, naming the file Mailman may have saved (%d %s)"
          % (rc, txt(err)))
    check(NEW in load(var, "roster-mess")[b"members"], "Mailman's save is kept")
    check(history(var)[0]["status"] == "failed", "the run is marked failed")
    rc, out, err = run("scan", "-d", var)
    check(rc in (0, 1) and "interrupted" not in txt(err),
          "later commands go on (%d %s)" % (rc, txt(err)))
    check(NEW in load(var, "roster-mess")[b"members"], "still kept")

    # -- 4. convert onto a list's own file
    var = fresh(tmp, "convert")
    js = os.path.join(tmp, "cs.json")
    rc, out, err = run("convert", os.path.join(var, "lists", "cs", "config.pck"), js)
    check(rc == 0, "convert to JSON (%s)" % err)
    start = digest(var)
    holder = Holder(var, "cs")
    cfg = os.path.join(var, "lists", "cs", "config.pck")
    rc, out, err = run("convert", js, cfg)
    check(rc == 75, "convert onto a locked list's file: exit 75 (got %d %s)" % (rc, err))
    holder.release()
    check(digest(var) == start, "and nothing changed")
    rc, out, err = run("convert", "-n", js, cfg)
    check(rc == 1 and digest(var) == start, "convert --dry-run changes nothing, exit 1")
    old = open(cfg, "rb").read()
    rc, out, err = run("convert", js, cfg)
    check(rc == 0, "convert onto an unlocked list's file (%s)" % err)
    check(open(cfg + ".last", "rb").read() == old, "the replaced file is kept as .last")
    runs = history(var)
    check(runs[0]["command"] == "convert" and runs[0]["status"] == "done", "journaled")
    rc, out, err = run("rollback", "-d", var)
    check(rc == 0 and digest(var) == start, "and rolled back exactly (%s)" % err)

finish()
