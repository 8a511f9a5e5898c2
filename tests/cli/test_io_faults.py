"""I/O faults at every point of a multi-list repair, update and migrate.

The shim tests/fault/iofault.c (LD_PRELOAD, $MMFIX_IOFAULT) counts every
write-side call mmfix makes under the test tree (creating opens, write,
pwrite, fsync, fdatasync, ftruncate, rename, link, unlink, mkdir, rmdir,
symlink, chmod/chown/utimensat and their f/l/at forms: mmfix's own and
SQLite's) and fails call number N with ENOSPC (odd N) or EIO (even N). An
unfaulted run gives the number of points; the walk then fails each point
in turn, over a fresh copy of the tree, and checks:

- no crash: an exit status of SPEC §8, no signal, no sanitizer report;
- right after the faulted run, before any other mmfix command, every list
  loads the way Mailman 2.1 loads it (config.pck, config.pck.last,
  config.db, config.db.last: the first that loads, pickles through a
  restricted unpickler) to its value from before or from after the run;
- the next mmfix command (check --json: it finishes or rolls back an
  interrupted run first) leaves the tree exactly all-before or all-after
  (corpus_util.entries_digest), with no lock of mmfix's left in locks/,
  says every list loads from a good file, and the journal has no run left
  unfinished.

STICKY=1 in the environment (MMFIX_IOFAULT_STICKY) also walks the disk
that stays full: every call from N on fails. MMFIX_IOFAULT_JOBS sets the
number of points walked at once (default 2). In a sanitizer build the
walk takes one point per run of identical consecutive calls (a
transaction's page writes to the journal are one point), to keep the time
sane; the plain build walks every point."""
import concurrent.futures
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from corpus_util import FIXTURES, MMFIX, check, entries_digest, finish, run  # noqa: E402
import py2marshal  # noqa: E402
import py2pickle  # noqa: E402

SHIM = os.environ.get("MMFIX_IOFAULT", "")
TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")
JOBS = int(os.environ.get("MMFIX_IOFAULT_JOBS", "2"))
STICKY = os.environ.get("MMFIX_IOFAULT_STICKY", "") == "1"
EXIT_CODES = {0, 1, 64, 65, 66, 70, 73, 74, 75, 77}
SANITIZER = re.compile(r"ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:")
MAX_REPORTED = 12
HOST = "listas.example.org"
REPAIR_LISTS = ["roster-mess", "broken", "hostile", "zh-old"]
CLOCK = str(int(time.time()))       # every run's wall clock: their trees compare
MAILMAN_ORDER = ["config.pck", "config.pck.last", "config.db", "config.db.last"]


def preload():
    """LD_PRELOAD for the shim: a sanitizer runtime mmfix links dynamically
    must come first (ASan checks that), then the shim, whose calls then go
    on to the sanitizer's interceptors and libc"""
    libs = []
    out = subprocess.run(["ldd", MMFIX], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*(lib(asan|ubsan)\.so\S*) => (\S+)", line)
        if m:
            libs.append(m.group(3))
    return " ".join(libs + [SHIM]), bool(libs)


PRELOAD, SANITIZED = preload()


def digest(top):
    """the whole tree, wherever it is; Postfix's own .db maps are left out
    (not journaled: postalias rebuilds them)"""
    return entries_digest(top, skip=("data/aliases.db", "data/virtual-mailman.db"),
                          movable=True)


def mailman_view(var):
    """{list: (file, value)}: what Mailman 2.1's MailList.Load gets, the
    first of the four files that loads (None, None when none does)"""
    view = {}
    lists = os.path.join(var, "lists")
    for name in sorted(os.listdir(lists)):
        got = (None, None)
        for fname in MAILMAN_ORDER:
            try:
                with open(os.path.join(lists, name, fname), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            try:
                if fname.startswith("config.pck"):
                    value = py2pickle.loads_stub(data)
                else:
                    value = py2marshal.loads(data)
            except Exception:          # Mailman logs it and tries the next one
                continue
            got = (fname, value)
            break
        view[name] = got
    return view


def locks_of(var):
    d = os.path.join(var, "locks")
    return sorted(os.listdir(d)) if os.path.isdir(d) else None


def live_locks(var, template_locks):
    """the locks in var/locks not in the template that Mailman would not
    break at the time the faulted run ran (CLOCK: their expiry, the mtime,
    plus the 10 s slop is not past)"""
    left = []
    for name in locks_of(var) or []:
        if name in (template_locks or []) or not (name.endswith(".lock") or name == "creator"):
            continue
        if os.lstat(os.path.join(var, "locks", name)).st_mtime + 10 >= int(CLOCK):
            left.append(name)
    return left


def unfinished_runs(var):
    """runs the journal still has as applying or rolling-back"""
    path = os.path.join(var, "data", "mmfix-journal.sqlite")
    if not os.path.exists(path):
        return []
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("SELECT id, command, status FROM runs WHERE status NOT IN "
                          "('done', 'rolled-back', 'abandoned')").fetchall()
    finally:
        db.close()


def mmfix(args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMFIX_FAULT_")}
    env.update(env_extra or {})
    p = subprocess.run([MMFIX, *args], capture_output=True, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def faulted(args, var, log, n=0, sticky=False):
    """mmfix args with the shim counting under var (and failing call n)"""
    env = {"LD_PRELOAD": PRELOAD, "MMFIX_FAULT_ROOT": var, "MMFIX_FAULT_LOG": log,
           "MMFIX_FAULT_CLOCK": CLOCK,
           "MMFIX_FAULT_ERRNO": "ENOSPC" if n % 2 == 1 else "EIO"}
    if n > 0:
        env["MMFIX_FAULT_N"] = str(n)
    if sticky:
        env["MMFIX_FAULT_STICKY"] = "1"
    return mmfix(args, env)


def read_log(log, var):
    """the counted calls: [(call, path)], the paths relative to var and
    without this run's host.pid"""
    calls = []
    if not os.path.exists(log):
        return calls
    for line in open(log, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split(" ", 2)
        rest = re.sub(re.escape(var) + r"(/|\b)", "", parts[2])
        rest = re.sub(r"\.[^./ ]+\.\d+(\.\d+)?\b", ".HOST.PID", rest)
        calls.append((parts[1], rest.replace(" FAIL", "")))
    return calls


def points_of(calls):
    """the points walked: all of them, or (sanitizer build) the first of
    each run of identical consecutive calls"""
    if not SANITIZED:
        return list(range(1, len(calls) + 1))
    return [i + 1 for i, c in enumerate(calls) if i == 0 or calls[i - 1] != c]


class Scenario:
    def __init__(self, tag, fixture, args, touch, tmp):
        self.tag = tag
        self.args = args
        self.tmp = tmp
        self.template = os.path.join(tmp, tag + "-template")
        shutil.copytree(os.path.join(FIXTURES, fixture), self.template, symlinks=True)
        if touch:
            subprocess.run([sys.executable, os.path.join(TOOLS, "mkfixtures.py"), "--touch",
                            self.template], check=True)

    def copy(self, name):
        """a fresh copy of the template (cp -a keeps hard links and times)"""
        var = os.path.join(self.tmp, name)
        if os.path.exists(var):
            shutil.rmtree(var)
        subprocess.run(["cp", "-a", self.template, var], check=True)
        return var

    def cmd(self, var):
        return [self.args[0], "-d", var] + [a.replace("@VAR@", var) for a in self.args[1:]]

    def reference(self):
        """before and after: digests, Mailman's view, locks; the points of
        an unfaulted run (two runs must count the same calls)"""
        var = self.copy(self.tag + "-ref")
        self.before = digest(var)
        self.view_before = mailman_view(var)
        self.locks = locks_of(var)
        self.good = {self.before}
        self.calls = None
        for k in range(2):
            var = self.copy(self.tag + "-ref")
            log = var + ".log"
            if os.path.exists(log):
                os.unlink(log)
            rc, out, err = faulted(self.cmd(var), var, log)
            check(rc == 0, "%s: the unfaulted run exits 0 (%d: %s)" % (self.tag, rc, err))
            calls = read_log(log, var)
            if self.calls is not None:
                check(calls == self.calls, "%s: two unfaulted runs make the same %d calls "
                      "(got %d): the walk is deterministic" % (self.tag, len(self.calls),
                                                             len(calls)))
            self.calls = calls
        check(len(self.calls) > 50, "%s: the shim counts the run's calls (%d)"
              % (self.tag, len(self.calls)))
        self.after = digest(var)
        self.view_after = mailman_view(var)
        check(self.after != self.before, "%s: the run changes the tree" % self.tag)
        self.good.add(self.after)
        # a command that first had to make locks/ ran that as its own run: with
        # the main run undone, the tree is the before tree plus locks/
        rc, out, err = mmfix(["history", "--json", "-d", var])
        runs = json.loads(out)["runs"]
        if len(runs) > 1:
            rc, out, err = mmfix(["rollback", "-d", var, str(runs[0]["run"])])
            check(rc == 0, "%s: rollback of the main run (%s)" % (self.tag, err))
            self.good.add(digest(var))
        kinds = {}
        for call, _ in self.calls:
            kinds[call] = kinds.get(call, 0) + 1
        print("%s: %d points: %s" % (self.tag, len(self.calls),
                                     ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))

    def point(self, n, sticky):
        """fail point n; returns the failures"""
        bad = []
        name = "%s-%s%d" % (self.tag, "s" if sticky else "n", n)
        var = self.copy(name)
        log = var + ".log"
        what = "%s%s point %d (%s %s)" % (self.tag, " sticky" if sticky else "", n,
                                         *self.calls[n - 1])
        try:
            rc, out, err = faulted(self.cmd(var), var, log, n, sticky)
            calls = read_log(log, var)
            if len(calls) < n or calls[n - 1] != self.calls[n - 1]:
                bad.append("%s: the faulted run reached the same call (%s)"
                           % (what, calls[n - 1] if len(calls) >= n else "only %d calls"
                              % len(calls)))
            if rc not in EXIT_CODES:
                bad.append("%s: exit %d is one of SPEC §8's: %s" % (what, rc, err.strip()))
            if SANITIZER.search(err):
                bad.append("%s: sanitizer report: %s" % (what, err.strip()[-3000:]))
            view = mailman_view(var)
            for lst, (fname, value) in sorted(view.items()):
                b = self.view_before.get(lst, (None, None))[1]
                a = self.view_after.get(lst, (None, None))[1]
                if fname is None:
                    bad.append("%s: %s does not load the way Mailman loads it" % (what, lst))
                elif value != b and value != a:
                    bad.append("%s: %s loads from %s to a value neither before nor after "
                               "the run" % (what, lst, fname))
            if sorted(view) != sorted(self.view_before):
                bad.append("%s: the lists are %s" % (what, sorted(view)))
            # a lock left behind keeps Mailman out: only when the run says the lists
            # stay locked (its rollback failed), else it is marked expired
            for lock in live_locks(var, self.locks):
                if "stay locked" not in err:
                    bad.append("%s: lock %s left live after the run (%s)" % (what, lock,
                                                                           err.strip()))
            # the next command settles an interrupted run
            rc2, out2, err2 = mmfix(["check", "--json", "-d", var])
            if rc2 not in (0, 1):
                bad.append("%s: the next command (check) exits 0 or 1 (%d: %s)"
                           % (what, rc2, err2.strip()))
            else:
                for entry in json.loads(out2)["lists"]:
                    ok = [f["path"] for f in entry["files"] if f["status"] == "ok"]
                    if entry["loads_from"] is None or entry["loads_from"] not in ok:
                        bad.append("%s: check: %s loads from a good file (%s)"
                                   % (what, entry["name"], entry["loads_from"]))
            d = digest(var)
            if d not in self.good:
                bad.append("%s: after the next command the tree is all-before or all-after "
                           "(exit %d: %s / %s)" % (what, rc, err.strip(), err2.strip()))
            if (locks_of(var) or []) != (self.locks or []):
                bad.append("%s: no lock left after the next command (%s)"
                           % (what, locks_of(var)))
            left = unfinished_runs(var)
            if left:
                bad.append("%s: the journal has no unfinished run (%s)" % (what, left))
        except Exception as e:          # a crash of the test itself is a failure too
            bad.append("%s: %r" % (what, e))
        if not bad:
            shutil.rmtree(var, ignore_errors=True)
            if os.path.exists(log):
                os.unlink(log)
        return bad

    def walk(self, sticky=False):
        points = points_of(self.calls)
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
            results = list(pool.map(lambda n: self.point(n, sticky), points))
        failed = [bad for bad in results if bad]
        for bad in failed[:MAX_REPORTED]:
            check(False, "\n    ".join(bad))
        if len(failed) > MAX_REPORTED:
            check(False, "%s: %d more points failed" % (self.tag, len(failed) - MAX_REPORTED))
        check(not failed, "%s%s: every point passes" % (self.tag, " (sticky)" if sticky else ""))
        print("%s%s: %d points walked of %d (%d failed) in %.1f s"
              % (self.tag, " (sticky)" if sticky else "", len(points), len(self.calls),
                 len(failed), time.time() - t0))


if not SHIM or not os.path.exists(SHIM):
    check(False, "the fault shim is built ($MMFIX_IOFAULT = %r)" % SHIM)
    finish()

with tempfile.TemporaryDirectory() as tmp:
    pf = os.path.join(tmp, "postfix")
    os.mkdir(pf)
    open(os.path.join(pf, "main.cf"), "w").close()
    scenarios = [
        Scenario("repair", "mm21", ["repair"] + REPAIR_LISTS, True, tmp),
        # demo as copied from the old host: no locks/, so update first makes it
        Scenario("update", "demo", ["update"], False, tmp),
        # postalias is a stand-in (its own writes are Postfix's): mmfix's are walked
        Scenario("migrate", "demo", ["migrate", "--url-host", HOST, "--postalias", "/bin/true",
                                     "--postmap", "/bin/true", "--postfix-config", pf],
                 True, tmp),
    ]
    only = os.environ.get("MMFIX_IOFAULT_ONLY")
    for sc in scenarios:
        if only and sc.tag != only:
            continue
        sc.reference()
        sc.walk()
        if STICKY:
            sc.walk(sticky=True)

finish()
