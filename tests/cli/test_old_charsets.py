"""A Romanian (or Russian) list below data_version 108 holds its text in the
charset of the Mailman that wrote it (iso-8859-2 / koi8-r), not in the UTF-8
of 2.1.39's table: scan, show and convert decode it that way. The expectation
comes from the corpus: what real 2.1.39 recoded the same list to (UTF-8)."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, check, finish, run

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import py2pickle  # noqa: E402

SITE = os.path.join(CORPUS, "site")
BEFORE = os.path.join(CORPUS, "mm2110-sample", "before")
AFTER = os.path.join(CORPUS, "mm2110-sample", "after-2.1.39")


def load(top, name):
    return py2pickle.loads_stub(open(os.path.join(top, "lists", name, "config.pck"),
                                     "rb").read())


rc, out, err = run("scan", "--json", "-d", BEFORE, "--install-dir", SITE)
lists = {l["name"]: l for l in json.loads(out)["lists"]}
ro = lists["ro-studenti"]
check(ro["charset"] == "iso-8859-2", "scan: ro-studenti (data_version %s) is iso-8859-2, not "
      "the site's utf-8 (got %s)" % (ro["data_version"], ro["charset"]))
check(not [p for p in ro["problems"] if p["code"] == "undecodable-text"],
      "scan: its text decodes: %s" % [p["message"] for p in ro["problems"]][:3])
check(lists["cs-konference"]["charset"] == "iso-8859-2", "Czech stays iso-8859-2")

rc, out, err = run("show", "--json", "-d", BEFORE, "--install-dir", SITE, "ro-studenti")
doc = json.loads(out)
check(doc["charset"] == "iso-8859-2", "show: the document says iso-8859-2")
after = load(AFTER, "ro-studenti")
before = load(BEFORE, "ro-studenti")
n = 0
for attr in ("description", "info", "msg_footer", "welcome_msg"):
    b, a = before.get(attr.encode()), after.get(attr.encode())
    if isinstance(b, bytes) and isinstance(a, bytes) and b != a:
        # Mailman 2.1.39 recoded b (iso-8859-2) to a (utf-8): show must read b as a says
        check(doc["config"][attr] == a.decode("utf-8"),
              "show: %s reads as 2.1.39 recoded it" % attr)
        n += 1
check(n > 0, "the corpus list has recoded text to compare (%d attributes)" % n)
with tempfile.TemporaryDirectory() as tmp:
    js = os.path.join(tmp, "ro.json")
    rc, out, err = run("convert", "--install-dir", SITE,
                       os.path.join(BEFORE, "lists", "ro-studenti", "config.pck"), js)
    check(rc == 0 and json.load(open(js))["charset"] == "iso-8859-2",
          "convert: JSON in iso-8859-2 terms (%d %s)" % (rc, err))
    rc, out, err = run("convert", "--install-dir", SITE,
                       os.path.join(AFTER, "lists", "ro-studenti", "config.pck"), js)
    check(json.load(open(js))["charset"] == "utf-8", "the upgraded list is utf-8")

finish()
