"""scan, check, show and convert over our own fixture installations:
every problem SPEC §6 names is reported where the fixture plants it,
exit codes follow SPEC §8, reads change nothing on disk, and the demo
output matches its golden files byte for byte."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, finish, run

TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")
GOLDEN = os.path.join(FIXTURES, "expected", "cli")
UPDATE = os.environ.get("MMFIX_UPDATE_GOLDEN") == "1"


def tree_digest(top):
    """content, mode and mtime of every file under top"""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            st = os.lstat(p)
            h.update(p.encode() + b"%o %d" % (st.st_mode, st.st_mtime_ns))
            if os.path.isfile(p) and not os.path.islink(p):
                h.update(open(p, "rb").read())
    return h.hexdigest()


def install(tmp, name):
    dst = os.path.join(tmp, name)
    shutil.copytree(os.path.join(FIXTURES, name), dst, symlinks=True)
    subprocess.run([sys.executable, os.path.join(TOOLS, "mkfixtures.py"), "--touch", dst], check=True)
    return dst


def golden(name, data):
    path = os.path.join(GOLDEN, name)
    if UPDATE:
        os.makedirs(GOLDEN, exist_ok=True)
        open(path, "wb").write(data)
    check(os.path.exists(path) and open(path, "rb").read() == data,
          "output equals golden file %s" % name)


with tempfile.TemporaryDirectory() as tmp:
    mm21 = install(tmp, "mm21")
    before = tree_digest(mm21)
    rc, out, err = run("scan", "-d", mm21, "--json")
    check(rc == 65, "scan exits 65 when a list holds a refused pickle (got %d)" % rc)
    scan = json.loads(out)
    codes = {}
    for l in scan["lists"]:
        codes[l["name"]] = {p["code"] for p in l["problems"]}
    for p in scan["problems"]:
        codes.setdefault(p["list"], set()).add(p["code"])
    want = {
        "Upper-Case": "invalid-list-name",
        "both-formats": "stale-format-newer",
        "broken": "corrupt-file",
        "en-only": "lock-stale",
        "hostile": "refused-pickle",
        "roster-mess": "roster-both",
        "undecodable": "undecodable-text",
        "zh-old": "unknown-language",
        "cs": "language-collision",
    }
    for lst, code in sorted(want.items()):
        check(code in codes.get(lst, set()), "%s reports %s (got %s)" % (lst, code, codes.get(lst)))
    for code in ("roster-key-case", "roster-orphans", "roster-bybounce-no-info",
                 "roster-invalid-address"):
        check(code in codes["roster-mess"], "roster-mess reports " + code)
    check(not codes.get("de-verein") and not codes.get("el-club"), "clean lists have no problems")
    ent = {l["name"]: l for l in scan["lists"]}
    check(ent["broken"]["file"] == "lists/broken/config.pck.last", "broken loads from .last")
    check(ent["hostile"]["file"] == "lists/hostile/config.pck.last", "hostile: the fallback")
    check(ent["ja-test"]["charset"] == "euc-jp" and ent["cs"]["charset"] == "iso-8859-2",
          "charsets from the site's languages")
    check(all(set(l) >= {"name", "file", "format", "protocol", "data_version", "members",
                          "digest_members", "preferred_language", "charset", "web_page_url",
                          "host_name", "owners", "problems"} for l in scan["lists"]),
          "scan --json has every key SPEC §8 names")

    # workers change nothing in the report
    outs = [re.sub(rb"expired \d+ s ago", b"expired N s ago",
                   run("scan", "-d", mm21, "--json", "-j", str(j))[1]) for j in (1, 2, 3)]
    check(outs[0] == outs[1] == outs[2], "scan -j1, -j2, -j3 give the same report")
    rc, out, err = run("scan", "-d", mm21, "-j", "0")
    check(rc == 64, "scan -j 0 is a usage error")

    rc, out, err = run("check", "-d", mm21, "--json", "broken", "hostile", "de-verein")
    chk = {l["name"]: l for l in json.loads(out)["lists"]}
    check(rc == 1, "check exits 1 when files do not load (got %d)" % rc)
    check([f["status"] for f in chk["broken"]["files"]] == ["corrupt", "ok", "missing", "missing"],
          "broken: statuses of the four files")
    check(chk["broken"]["loads_from"] == "config.pck.last", "broken: loads_from")
    check(chk["hostile"]["files"][0]["status"] == "refused", "hostile: refused")
    check(chk["de-verein"]["loads_from"] == "config.pck", "de-verein loads config.pck")
    rc, out, err = run("check", "-d", mm21, "de-verein")
    check(rc == 0, "check of a clean list exits 0")

    rc, out, err = run("show", "-d", mm21, "broken")
    check(rc == 0 and "config.pck.last" in err, "show falls back like Mailman, and says so")
    rc, out, err = run("show", "-d", mm21, "hostile")
    check(rc == 65 and b"MMFIX-HOSTILE" not in out, "show refuses the hostile list: " + err.strip())
    rc, out, err = run("show", "-d", mm21, "no-such-list")
    check(rc == 66, "show of a missing list exits 66 (got %d)" % rc)
    rc, out, err = run("show", "-d", mm21)
    check(rc == 64, "show without a list exits 64")
    rc, out, err = run("frobnicate")
    check(rc == 64, "unknown command exits 64")
    rc, out, err = run("show", "-d", mm21, "--attr", "info", "cs")
    check(rc == 0 and out.startswith(b"'"), "show --attr prints the repr")
    rc, out, err = run("show", "-d", mm21, "--json", "undecodable")
    check(rc == 0 and b'"$bytes"' in out and "offset 8" in err,
          "undecodable bytes are kept as $bytes and reported with their offset")
    check(tree_digest(mm21) == before, "reading changed nothing on disk")

    # a list directory that is a link out of the installation is reported, not read
    os.symlink("/etc", os.path.join(mm21, "lists", "escape"))
    rc, out, err = run("scan", "-d", mm21, "--json")
    scan = json.loads(out)
    check(any(p["code"] == "list-outside-tree" and p["list"] == "escape" for p in scan["problems"]),
          "a list directory linking out of the installation is reported")
    check("escape" not in [l["name"] for l in scan["lists"]], "and never read")
    os.unlink(os.path.join(mm21, "lists", "escape"))

    demo = install(tmp, "demo")
    rc, out, err = run("scan", "-d", demo)
    check(rc == 1, "demo scan exits 1 (problems)")
    golden("demo-scan.txt", out)
    rc, out, err = run("show", "-d", demo, "es")
    golden("demo-show-es.txt", out)
    rc, out, err = run("show", "-d", demo, "--json", "--charset", "iso-8859-1", "es")
    golden("demo-show-es.json", out)

    mm20 = install(tmp, "mm20")
    rc, out, err = run("scan", "-d", mm20, "--json")
    s20 = json.loads(out)
    check(all(l["format"] == "db" for l in s20["lists"]), "mm20: every list is 2.0 marshal")
    check({l["protocol"] for l in s20["lists"]} >= {0, 1}, "mm20: marshal formats 0 and 1")
    check(any(p["code"] == "language-collision" and p["list"] == "cs" for p in s20["problems"]),
          "mm20: the cs collision")

finish()
