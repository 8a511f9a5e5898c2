"""Hostile and corrupt pickles: refused with exit 65, nothing runs."""
import glob
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, finish, run

EXPECTED = {}
for line in open(os.path.join(FIXTURES, "hostile", "EXPECTED")):
    if line.strip() and not line.startswith("#"):
        name, kind = line.split()
        EXPECTED[name] = kind
hostile = sorted(os.path.join(FIXTURES, "hostile", n) for n, k in EXPECTED.items() if k != "ok")
check(len(hostile) >= 20, "hostile fixtures present (%d)" % len(hostile))
with tempfile.TemporaryDirectory() as tmp:
    marker = os.path.join(tmp, "pwned")
    env = {"MMFIX_PWNED": marker, "HOME": tmp}
    for f in hostile:
        rc, out, err = run("convert", f, os.path.join(tmp, "out.json"), env=env)
        check(rc == 65, "%s: exit 65 (got %d: %s)" % (os.path.basename(f), rc, err.strip()))
        check(err.startswith("mmfix: "), "%s: message on stderr: %s" % (f, err.strip()))
        check(not os.path.exists(os.path.join(tmp, "out.json")), f + ": no output written")
    check(not os.path.exists(marker), "no hostile code ran")
    check(not os.path.exists("/tmp/mmfix-pwned"), "no hostile code ran (/tmp)")

    # A list whose config.pck is hostile: show refuses (65) and names the fallback.
    mm21 = os.path.join(FIXTURES, "mm21")
    if os.path.isdir(os.path.join(mm21, "lists", "hostile")):
        rc, out, err = run("show", "-d", mm21, "hostile")
        check(rc == 65, "show hostile list: exit 65 (got %d)" % rc)
        check("config.pck.last" in err, "show names the fallback that loads: " + err.strip())
        rc, out, err = run("check", "-d", mm21, "--json", "hostile")
        check(b'"refused"' in out, "check marks the file refused")
    # Truncated / garbage: 65 and the fallback Mailman would use.
    if os.path.isdir(os.path.join(mm21, "lists", "broken")):
        rc, out, err = run("check", "-d", mm21, "broken")
        check(rc == 1, "check broken list: exit 1 (got %d)" % rc)
        check(b"corrupt" in out and b"Mailman loads this one" in out, "check says what loads")
        rc, out, err = run("convert", os.path.join(mm21, "lists", "broken", "config.pck"), "-")
        check(rc == 65, "convert of the truncated config.pck: exit 65")
        check("fall back to config.pck.last" in err, "and says which fallback Mailman uses: " + err)

finish()
