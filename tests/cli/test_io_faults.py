"""I/O faults at every point of a multi-list repair, update and migrate.

The shim tests/fault/iofault.c (LD_PRELOAD, $MMFIX_IOFAULT) counts every
call mmfix makes that changes the test tree (creating opens, write, pwrite,
fsync, fdatasync, syncfs, ftruncate, rename, link, unlink, mkdir, rmdir, symlink,
chmod/chown/utimensat and their f/l/at forms: mmfix's own and SQLite's) and
fails call number N. An unfaulted run gives the number of points (two runs
must make the same calls; strace, when installed, must see exactly those
calls change the tree); the walk then fails each point in turn, over a
fresh copy of the tree, and checks:

- no crash: an exit status of SPEC §8, no signal, no sanitizer report;
- right after the faulted run, before any other mmfix command, every list
  loads the way Mailman 2.1 loads it (config.pck, config.pck.last,
  config.db, config.db.last: the first that loads, through a restricted
  unpickler) to its value from before or from after the run, and no lock
  is left that Mailman would not break at once (unless the run says the
  lists stay locked because its rollback failed too);
- the next mmfix command (check --json: it finishes or rolls back an
  interrupted run first) leaves the tree exactly all-before or all-after
  (corpus_util.entries_digest), with no lock of mmfix's left in locks/,
  says every list loads from a good file, and leaves no run unfinished in
  the journal.

Walks (MMFIX_IOFAULT_WALKS): "once" fails point N alone (ENOSPC for odd
N, EIO for even N); "full" is a disk that stays full from N on (ENOSPC
for every call that needs space); "dead" a device that stays bad (EIO for
every call from N on; opt-in). See points_of for which points each walks.
Every run sees the same wall clock (MMFIX_FAULT_CLOCK), so that trees of
different runs compare. MMFIX_IOFAULT_JOBS points are walked at once
(default 2). The bugs the walk found are checked again in regressions()."""
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
ALL = os.environ.get("MMFIX_IOFAULT_ALL", "") == "1"
SAN_POINTS = 40
EXIT_CODES = {0, 1, 64, 65, 66, 70, 73, 74, 75, 77}
SANITIZER = re.compile(r"ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:")
MAX_REPORTED = int(os.environ.get("MMFIX_IOFAULT_REPORTED", "12"))
HOST = "listas.example.org"
REPAIR_LISTS = ["roster-mess", "broken", "hostile", "zh-old"]
CLOCK = str(int(time.time()))       # every run's wall clock: their trees compare
MAILMAN_ORDER = ["config.pck", "config.pck.last", "config.db", "config.db.last"]


def preload():
    """LD_PRELOAD for the shim, and whether mmfix is a sanitizer build. The
    sanitizer runtimes mmfix links dynamically come first (ASan insists on
    being first in the library list; verify_asan_link_order=0 would waive
    that, but this keeps ASan's own order): an intercepted call then reaches
    ASan's interceptor first, which checks it and hands it on (RTLD_NEXT)
    to the shim, which hands it to libc"""
    libs = []
    out = subprocess.run(["ldd", MMFIX], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*(lib(asan|ubsan)\.so\S*) => (\S+)", line)
        if m:
            libs.append(m.group(3))
    return " ".join(libs + [SHIM]), bool(libs)


PRELOAD, SANITIZED = preload()
# the walks: a sanitizer build only walks single faults (see points_of)
WALKS = [w for w in os.environ.get("MMFIX_IOFAULT_WALKS",
                                   "once" if SANITIZED else "once,full").split(",") if w]


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
    """runs the journal still has as applying or rolling-back (or failed:
    refused by the recovery). A run left 'planned' is not one: it never
    started and changed nothing (apply_plan marks it abandoned, unless the
    device refuses that write too; history then shows it as planned)"""
    path = os.path.join(var, "data", "mmfix-journal.sqlite")
    if not os.path.exists(path):
        return []
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("SELECT id, command, status FROM runs WHERE status NOT IN "
                          "('done', 'rolled-back', 'abandoned', 'planned')").fetchall()
    finally:
        db.close()


def mmfix(args, env_extra=None, strace=None):
    """mmfix args (under strace -o strace: the environment given to mmfix only)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMFIX_FAULT_")}
    cmd = [MMFIX, *args]
    if strace is not None:
        # LeakSanitizer cannot stop the world under ptrace: no leak check there
        extra = dict(env_extra or {})
        extra["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        cmd = (["strace", "-f", "-y", "-qq", "-o", strace, "-e", "trace=" + ",".join(SYSCALLS)]
               + ["-E%s=%s" % kv for kv in sorted(extra.items())] + cmd)
    else:
        env.update(env_extra or {})
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


# the system calls that change a file system (x86-64 and arm64 names)
SYSCALLS = ["open", "openat", "creat", "write", "pwrite64", "writev", "pwritev", "pwritev2",
            "fsync", "fdatasync", "syncfs", "sync_file_range", "ftruncate", "truncate", "fallocate",
            "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat", "rmdir",
            "mkdir", "mkdirat", "symlink", "symlinkat", "mknod", "mknodat", "chmod", "fchmod",
            "fchmodat", "chown", "fchown", "lchown", "fchownat", "utimensat", "utimes",
            "utime", "futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
            "lremovexattr", "fremovexattr"]


def strace_count(trace, var):
    """the calls strace (-y) saw change something under var: a descriptor's
    file (the first argument, for the calls on descriptors) or a path
    argument there; opens only when they create"""
    n = 0
    for line in open(trace, encoding="utf-8", errors="replace"):
        m = re.match(r"\d+\s+(\w+)\((.*)", line)
        if not m or m.group(1) not in SYSCALLS:
            continue
        call, args = m.groups()
        fd = re.match(r"\d+<([^>]*)>", args)
        if fd and not re.match(r"\d+<[^>]*>, \"", args):
            paths = [fd.group(1)]        # write(3<path>, ...): the data is no path
        else:
            paths = re.findall(r'"([^"]*)"', args) + re.findall(r"\d+<([^>]*)>, \"", args)
        if not any(p == var or p.startswith(var + "/") for p in paths):
            continue
        if call in ("open", "openat") and "O_CREAT" not in args:
            continue
        n += 1
    return n


# how point n fails: once (ENOSPC for odd n, EIO for even n), or for good:
# "full" (ENOSPC from n on for every call that needs space) or "dead" (EIO
# for every call from n on)
MODES = {"once": "a single call fails", "full": "the disk stays full",
         "dead": "the device stays bad"}


def faulted(args, var, log, n=0, mode="once", strace=None):
    """mmfix args with the shim counting under var (and failing call n)"""
    env = {"LD_PRELOAD": PRELOAD, "MMFIX_FAULT_ROOT": var, "MMFIX_FAULT_LOG": log,
           "MMFIX_FAULT_CLOCK": CLOCK}
    if n > 0:
        env["MMFIX_FAULT_N"] = str(n)
        env["MMFIX_FAULT_ERRNO"] = ("ENOSPC" if mode == "full" or (mode == "once" and n % 2)
                                    else "EIO")
        env["MMFIX_FAULT_STICKY"] = "1" if mode != "once" else ""
    return mmfix(args, env, strace)


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


def points_of(calls, mode):
    """the points walked: all of them for a single fault; for a fault that
    stays, and in a sanitizer build (five times slower), the first of each
    run of identical consecutive calls (a transaction's page writes to the
    journal are one point), and in a sanitizer build at most SAN_POINTS of
    those, evenly spread (MMFIX_IOFAULT_ALL=1: every point, always).
    MMFIX_IOFAULT_POINTS=A-B narrows them (to look into a failure)."""
    points = list(range(1, len(calls) + 1))
    if (SANITIZED or mode != "once") and not ALL:
        points = [i + 1 for i, c in enumerate(calls) if i == 0 or calls[i - 1] != c]
    if SANITIZED and not ALL and len(points) > SAN_POINTS:
        step = (len(points) - 1) / (SAN_POINTS - 1)
        points = sorted({points[round(k * step)] for k in range(SAN_POINTS)})
    narrow = os.environ.get("MMFIX_IOFAULT_POINTS")
    if narrow:
        a, b = (int(x) for x in narrow.split("-"))
        points = [n for n in points if a <= n <= b]
    return points


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
        if shutil.which("strace"):
            # the kernel's view: every call that changed the tree went through the shim
            # (none through a path inside glibc that an LD_PRELOAD library cannot see)
            tvar = self.copy(self.tag + "-strace")
            trace = tvar + ".strace"
            rc, out, err = faulted(self.cmd(tvar), tvar, tvar + ".log", strace=trace)
            seen = strace_count(trace, tvar)
            check(rc == 0 and seen == len(self.calls),
                  "%s: strace sees %d calls change the tree, the shim counts %d (%d: %s)"
                  % (self.tag, seen, len(self.calls), rc, err))
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

    def point(self, n, mode):
        """fail point n; returns the failures"""
        bad = []
        name = "%s-%s%d" % (self.tag, mode, n)
        var = self.copy(name)
        log = var + ".log"
        what = "%s %s point %d (%s %s)" % (self.tag, mode, n, *self.calls[n - 1])
        try:
            rc, out, err = faulted(self.cmd(var), var, log, n, mode)
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
            # stay locked (its rollback failed), else it is marked expired (a bad
            # device may refuse both)
            for lock in live_locks(var, self.locks):
                if "stay locked" not in err and mode != "dead":
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

    def walk(self, mode):
        points = points_of(self.calls, mode)
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
            results = list(pool.map(lambda n: self.point(n, mode), points))
        failed = [bad for bad in results if bad]
        for bad in failed[:MAX_REPORTED]:
            check(False, "\n    ".join(bad))
        if len(failed) > MAX_REPORTED:
            check(False, "%s: %d more points failed" % (self.tag, len(failed) - MAX_REPORTED))
        check(not failed, "%s %s: every point passes" % (self.tag, mode))
        print("%s, %s: %d points walked of %d (%d failed) in %.1f s"
              % (self.tag, MODES[mode], len(points), len(self.calls), len(failed),
                 time.time() - t0))


def regressions(sc):
    """the bugs the walk found, each at its own point, checked in detail"""
    def at(call, path):
        n = sc.calls.index((call, path)) + 1
        var = sc.copy("%s-reg%d" % (sc.tag, n))
        rc, out, err = faulted(sc.cmd(var), var, var + ".log", n)
        return var, rc, err

    if sc.tag == "migrate":
        # the creator lock cannot be made: migrate went on without its alias step
        # and upgraded every list (exit 66); now it stops before changing anything
        var, rc, err = at("open", "locks/creator.HOST.PID")
        check(rc == 73 and "stopped before anything was changed" in err,
              "migrate, creator lock not to be made: exit 73, stopped (%d: %s)" % (rc, err))
        check(digest(var) == sc.before, "migrate, creator lock not to be made: nothing changed")
        check(locks_of(var) == sc.locks, "migrate, creator lock not to be made: no lock left "
              "(%s)" % locks_of(var))
        # the same when Mailman holds the creator lock (creating a list): exit 75
        var = sc.copy("migrate-creator-busy")
        holder = subprocess.Popen([sys.executable, os.path.join(TOOLS, "mm_lockfile.py"), "hold",
                                   "--seconds", "60", os.path.join(var, "locks", "creator")],
                                  stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        check(holder.stdout.readline().startswith(b"locked"), "Mailman holds the creator lock")
        rc, out, err = mmfix(sc.cmd(var))
        holder.communicate(b"\n", timeout=30)
        check(rc == 75 and digest(var) == sc.before,
              "migrate, creator lock held by Mailman: exit 75, nothing changed (%d: %s)"
              % (rc, err))
    if sc.tag in ("repair", "migrate"):
        # a lock mmfix cannot remove: it stayed live for Mailman (5 hours for a list
        # lock), and the next command did not clear a dead `creator` lock at all
        lock = "broken.lock" if sc.tag == "repair" else "creator"
        var, rc, err = at("unlink", "locks/" + lock)
        path = os.path.join(var, "locks", lock)
        check(rc == 0 and os.path.exists(path) and live_locks(var, sc.locks) == [],
              "%s, %s not removable: still there, marked expired (%d: %s)"
              % (sc.tag, lock, rc, err))
        t = subprocess.run([sys.executable, os.path.join(TOOLS, "mm_lockfile.py"), "try",
                            "--timeout", "0.5", path], capture_output=True)
        check(t.returncode == 0, "%s: Mailman takes the lock mmfix could not remove (%d)"
              % (sc.tag, t.returncode))
        var, rc, err = at("unlink", "locks/" + lock)
        mmfix(["check", "-d", var])
        check(locks_of(var) == sc.locks, "%s: the next command clears the %s lock and its "
              "claimant file (%s)" % (sc.tag, lock, locks_of(var)))


if not SHIM or not os.path.exists(SHIM) or not set(WALKS) <= set(MODES):
    check(set(WALKS) <= set(MODES), "MMFIX_IOFAULT_WALKS names walks of %s" % sorted(MODES))
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
        regressions(sc)
        for mode in WALKS:
            sc.walk(mode)

finish()
