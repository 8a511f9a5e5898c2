"""scan -j N when pipe() or fork() fails, or a worker dies: the report is
the -j 1 report, stdin is never read or closed, and what could not be done
is said. Faults come from the test hooks MMFIX_TEST_FAIL_PIPE/FORK (the Nth
call fails), MMFIX_TEST_FAIL_SCAN_TAKE (the worker taking the Nth list
handed out is killed) and MMFIX_TEST_FAIL_SCAN_LIST (every worker taking
list N is killed)."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, FIXTURES, check, finish, mmfix_argv

CANARY = b"stdin belongs to the caller\n"
EX_SOFTWARE = 70

INSTALLS = [("fixtures/mm21", ["-d", os.path.join(FIXTURES, "mm21")])]
if CORPUS and os.path.isdir(os.path.join(CORPUS, "mm21-sample")):
    INSTALLS.append(("corpus/mm21-sample", ["-d", os.path.join(CORPUS, "mm21-sample"),
                                            "--install-dir", os.path.join(CORPUS, "site")]))
else:
    check(False, "the corpus is at $MMFIX_CORPUS (%r)" % CORPUS)


def scan(args, jobs, faults=None, hold_stdin=False):
    """scan --json -j jobs with stdin a pipe that holds CANARY and is at
    end of file (or, hold_stdin, kept open with no more to come):
    (rc, report, stderr lines, what is left in stdin)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMFIX_TEST_FAIL_")}
    env.update(faults or {})
    r, w = os.pipe()
    os.write(w, CANARY)
    if not hold_stdin:
        os.close(w)
    try:
        try:
            p = subprocess.run(mmfix_argv("scan", *args, "--json", "-j", str(jobs)), stdin=r,
                               capture_output=True, env=env, timeout=120)
        except subprocess.TimeoutExpired:
            check(False, "scan %s -j%d %s: done within 120 s" % (args, jobs, faults))
            return -1, None, [], b""
        os.set_blocking(r, False)
        try:
            left = os.read(r, 4096)
        except BlockingIOError:
            left = b""
    finally:
        os.close(r)
        if hold_stdin:
            os.close(w)
    # a stale lock's age is the one thing that moves between two runs
    out = re.sub(rb"expired \d+ s ago", b"expired N s ago", p.stdout)
    try:
        report = json.loads(out)
    except ValueError:
        report = None
    return p.returncode, report, p.stderr.decode(errors="replace").splitlines(), left


def same_as_serial(what, got, want):
    rc, report, err, left = got
    check(rc == want[0], "%s: exit %d, -j1 exits %d (%s)" % (what, rc, want[0], err))
    check(report is not None and report == want[1], "%s: the -j1 report" % what)
    check(left == CANARY, "%s: stdin neither read nor closed (left %r)" % (what, left))
    check(not any("Bad file descriptor" in l for l in err), "%s: no EBADF: %s" % (what, err))


for label, args in INSTALLS:
    serial = scan(args, 1, {"MMFIX_TEST_FAIL_FORK": "*", "MMFIX_TEST_FAIL_PIPE": "*"})
    check(serial[1] is not None and len(serial[1]["lists"]) >= 9,
          "%s: -j1 scans every list" % label)
    check(serial[2] == [] and serial[3] == CANARY,
          "%s: -j1 forks nothing, says nothing: %s" % (label, serial[2]))
    n_lists = len(serial[1]["lists"])

    for jobs in (2, 3, 4):
        clean = scan(args, jobs)
        same_as_serial("%s -j%d" % (label, jobs), clean, serial)
        check(clean[2] == [], "%s -j%d: nothing on stderr: %s" % (label, jobs, clean[2]))
        # stdin open with nothing to read: the scan neither waits for it nor reads it
        held = scan(args, jobs, {"MMFIX_TEST_FAIL_FORK": "1"}, hold_stdin=True)
        same_as_serial("%s -j%d, stdin held open, fork 1 fails" % (label, jobs), held, serial)
        every = ",".join(str(k) for k in range(1, jobs + 2))
        for call, errtext in (("FORK", "fork: Resource temporarily unavailable"),
                              ("PIPE", "pipe: Too many open files")):
            for k in [str(k) for k in range(1, jobs + 2)] + [every]:
                what = "%s -j%d, %s call %s fails" % (label, jobs, call.lower(), k)
                got = scan(args, jobs, {"MMFIX_TEST_FAIL_" + call: k})
                same_as_serial(what, got, serial)
                if k == every:
                    want = ["mmfix: note: no scan worker could be started (%s); "
                            "scanning in this process" % errtext]
                elif int(k) <= jobs:
                    want = ["mmfix: note: %d of %d scan workers started (%s)"
                            % (jobs - 1, jobs, errtext)]
                else:
                    want = []   # no such call: nothing failed
                check(got[2] == want, "%s: stderr %s, want %s" % (what, got[2], want))

    # A worker killed while it holds a list: the list is scanned again.
    jobs = 3
    for k in ("1", "2", str(n_lists), "1,2,3", "1,%d" % n_lists):
        what = "%s -j%d, the worker taking list %s is killed" % (label, jobs, k)
        got = scan(args, jobs, {"MMFIX_TEST_FAIL_SCAN_TAKE": k})
        same_as_serial(what, got, serial)
        dead = len(k.split(","))
        want = ["mmfix: warning: %d scan worker%s died; %d list%s scanned again"
                % (dead, "" if dead == 1 else "s", dead, "" if dead == 1 else "s")]
        check(got[2] == want, "%s: stderr %s, want %s" % (what, got[2], want))

    # A list that kills every worker that takes it: reported, not lost, and
    # the other lists are all there.
    for k in (1, 4, n_lists):
        what = "%s -j%d, list %d kills its workers" % (label, jobs, k)
        rc, report, err, left = scan(args, jobs, {"MMFIX_TEST_FAIL_SCAN_LIST": str(k)})
        check(rc == EX_SOFTWARE, "%s: exit %d, want %d" % (what, rc, EX_SOFTWARE))
        check(left == CANARY, "%s: stdin untouched" % what)
        check(report is not None, "%s: a report" % what)
        if report is None:
            continue
        lists, want_lists = report["lists"], serial[1]["lists"]
        check([l["name"] for l in lists] == [l["name"] for l in want_lists],
              "%s: every list, in order" % what)
        check(all(a == b for i, (a, b) in enumerate(zip(lists, want_lists)) if i != k - 1),
              "%s: the other lists as -j1 has them" % what)
        bad = lists[k - 1]
        check(bad["file"] is None and [p["code"] for p in bad["problems"]] == ["internal-error"]
              and "2 scan workers died while scanning this list" in bad["problems"][0]["message"],
              "%s: the list says what happened: %s" % (what, bad))
        check(report["problems"] == serial[1]["problems"], "%s: site problems" % what)
        check(err == ["mmfix: warning: 2 scan workers died; 0 lists scanned again",
                      "mmfix: scan workers died on 1 list"], "%s: stderr %s" % (what, err))

    # A worker dies and no other can be started to scan its list again:
    # the list is reported; the others are all there.
    what = "%s -j%d, worker killed, no fork for the retry" % (label, jobs)
    rc, report, err, left = scan(args, jobs, {"MMFIX_TEST_FAIL_SCAN_TAKE": "2",
                                              "MMFIX_TEST_FAIL_FORK": str(jobs + 1)})
    check(rc == EX_SOFTWARE and left == CANARY and report is not None,
          "%s: exit %d, a report, stdin untouched" % (what, rc))
    if report is not None:
        msgs = [p["message"] for p in report["lists"][1]["problems"]]
        check(len(msgs) == 1 and "no other could scan it again (fork: " in msgs[0],
              "%s: the list held says so: %s" % (what, msgs))
        check(all(a == b for i, (a, b) in enumerate(zip(report["lists"], serial[1]["lists"]))
                  if i != 1), "%s: the other lists as -j1 has them" % what)

finish()
