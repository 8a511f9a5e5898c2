"""scan --json and show --json over the Mailman-written mm21-sample agree
with what Mailman itself printed for it (mm21-sample-expected)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import (CORPUS, check, fail, finish, from_typed, parse_dumpdb, run)

VAR = os.path.join(CORPUS, "mm21-sample")
SITE = os.path.join(CORPUS, "site")
EXPECTED = os.path.join(CORPUS, "mm21-sample-expected")
LISTS = sorted(os.listdir(os.path.join(VAR, "lists")))

rc, out, err = run("scan", "-d", VAR, "--install-dir", SITE, "--json", expect=(0, 1))
scan = json.loads(out)
check([l["name"] for l in scan["lists"]] == LISTS, "scan lists every list: %s" % LISTS)
by_name = {l["name"]: l for l in scan["lists"]}


def norm_bounce(v):
    """our _BounceInfo instance -> the tuple parse_dumpdb makes"""
    if isinstance(v, tuple) and v and v[0] == "$instance":
        st = {k.decode() if isinstance(k, bytes) else k: x for k, x in v[2].items()}
        return (b"$bounce", st["member"], st["score"], st["date"],
                st["noticesleft"], st["lastnotice"], st["cookie"])
    if isinstance(v, dict):
        return {k: norm_bounce(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm_bounce(x) for x in v]
    return v


for name in LISTS:
    want = parse_dumpdb(os.path.join(EXPECTED, "dumpdb", name + ".config.pck.txt"))
    entry = by_name.get(name, {})
    cs = entry.get("charset")
    check(entry.get("file") == "lists/%s/config.pck" % name, name + ": loads config.pck")
    check(entry.get("protocol") == 1, name + ": protocol 1")
    check(entry.get("members") == len(want[b"members"]), name + ": member count")
    check(entry.get("digest_members") == len(want[b"digest_members"]), name + ": digest count")
    check(entry.get("preferred_language") == want[b"preferred_language"].decode(),
          name + ": preferred_language")
    check(entry.get("web_page_url") == want[b"web_page_url"].decode(), name + ": web_page_url")
    check(entry.get("host_name") == want[b"host_name"].decode(), name + ": host_name")
    check(entry.get("data_version") == want[b"data_version"], name + ": data_version")
    check(entry.get("owners") == [o.decode(cs) for o in want[b"owner"]], name + ": owners")

    rc, out, err = run("show", "-d", VAR, "--install-dir", SITE, "--json", name, expect=0)
    doc = json.loads(out)
    check(doc["format"] == "mmfix-typed-json/1" and doc["list"] == name, name + ": document head")
    check(doc["charset"] == cs, name + ": show and scan agree on the charset")
    got = norm_bounce(from_typed(doc["config"], doc["charset"]))
    check(set(got) == set(want), name + ": same attributes")
    for key in sorted(want):
        if got.get(key) != want[key]:
            fail("%s: %s differs:\n got %r\nwant %r" % (name, key.decode(), got.get(key), want[key]))
        else:
            check(True, "")
    # The texts, decoded in the list charset, are plain JSON strings.
    for attr in ("real_name", "description", "info"):
        w = want[attr.encode()]
        g = doc["config"][attr]
        if isinstance(w, bytes):
            check(g == w.decode(cs), "%s: %s decoded in %s" % (name, attr, cs))
        else:
            check(g == {"$unicode": w}, "%s: %s is unicode" % (name, attr))
    # every member and digest member, case preserved as list_members prints them
    lm = os.path.join(EXPECTED, "list_members", name + ".txt")
    listed = set(open(lm, "rb").read().decode("latin-1").split())
    ours = {k.decode("latin-1") for d in (b"members", b"digest_members") for k in got[d]}
    # and the regular/digest split is the one bin/list_members -r / -d print
    for d, variant in ((b"members", "regular"), (b"digest_members", "digest")):
        lines = open(os.path.join(EXPECTED, "list_members", "%s.%s.txt" % (name, variant)),
                     "rb").read().decode("latin-1").splitlines()
        printed = {(l[l.rindex("<") + 1:-1] if l.endswith(">") else l).lower() for l in lines if l}
        keys = {k.decode("latin-1") for k in got[d]}
        check(printed == keys, "%s: %s members as list_members -%s prints them"
              % (name, variant, variant[0]))
    check(ours == listed, name + ": members agree with bin/list_members: only ours %s, only Mailman's %s"
          % (sorted(ours - listed)[:3], sorted(listed - ours)[:3]))

finish()
