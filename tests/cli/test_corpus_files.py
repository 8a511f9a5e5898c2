"""show over the three config.pck files from Mailman 3's test suite, each
laid (at test time, in a temp dir) as a list of an installation: the Greek
info of config-greek.pck decodes in iso-8859-7, and config-with-instances
keeps both _BounceInfo records with their state."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, check, finish, run

SRC = os.path.join(CORPUS, "lich-bot-mailman", "src", "mailman", "testing")

with tempfile.TemporaryDirectory() as tmp:
    for name in ("config", "config-greek", "config-with-instances"):
        os.makedirs(os.path.join(tmp, "lists", name))
        shutil.copyfile(os.path.join(SRC, name + ".pck"),
                        os.path.join(tmp, "lists", name, "config.pck"))

    rc, out, err = run("show", "-d", tmp, "--json", "config-greek")
    doc = json.loads(out)
    check(rc == 0, "show config-greek exits 0: " + err)
    check(doc["charset"] == "iso-8859-7", "charset from preferred_language 'el'")
    check(doc["config"]["info"] == "Αυτή είναι μια λίστα.", "the Greek info text")
    rc, out, err = run("show", "-d", tmp, "--attr", "info", "config-greek")
    check(out == b"'\\xc1\\xf5\\xf4\\xde \\xe5\\xdf\\xed\\xe1\\xe9 \\xec\\xe9\\xe1 "
                 b"\\xeb\\xdf\\xf3\\xf4\\xe1.'\n", "repr keeps the raw bytes")

    rc, out, err = run("show", "-d", tmp, "--json", "config-with-instances")
    doc = json.loads(out)
    bi = doc["config"]["bounce_info"]
    check(len(bi) == 2, "two bounce records")
    for addr, rec in bi.items():
        check(rec.get("$instance") == "Mailman.Bouncer._BounceInfo", addr + ": instance class")
        st = rec.get("$state", {})
        check(st.get("score") == 1.0 and st.get("date") == {"$tuple": [2015, 3, 24]}
              and st.get("noticesleft") == 3 and st.get("lastnotice") == {"$tuple": [1970, 1, 2]}
              and st.get("cookie") is None and st.get("member") == addr, addr + ": state kept")
    check(doc["config"]["subject_prefix"] == {"$unicode": "[eclipse-sig]"}, "unicode stays unicode")
    rc, out, err = run("show", "-d", tmp, "config-with-instances")
    check(b"bounce_info = {" in out and b"<Mailman.Bouncer._BounceInfo {" in out,
          "text show prints the instances")

    rc, out, err = run("scan", "-d", tmp, "--json")
    scan = json.loads(out)
    check([l["name"] for l in scan["lists"]] == ["config", "config-greek", "config-with-instances"],
          "scan lists the three")
    check({l["protocol"] for l in scan["lists"]} == {0, 1}, "protocols 0 and 1")

finish()
