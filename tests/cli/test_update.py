"""update over copies of the corpus's Mailman 2.0 and 2.1.10 lists: the dry
run changes nothing and says what it would write; the run writes config.pck
files that load to what real Mailman 2.1.39 made of the same lists (all but
the clock: created_at of 2.0 lists, the time of new delivery_status
entries); 2.0's config.db stays; a second run has nothing to do."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, check, content_digest, finish, run

SITE = os.path.join(CORPUS, "site")
SAMPLES = [
    ("mm20-sample/before", "mm20-sample/after-update-2.1.39",
     ["cs", "es", "mailman", "vacia", "ldc-anuncios"]),
    ("mm2110-sample/before", "mm2110-sample/after-2.1.39",
     ["ro-studenti", "cs-konference", "vacia"]),
]


def norm(v):
    """typed JSON as comparable Python values (dicts unordered)"""
    if isinstance(v, dict):
        if "$tuple" in v:
            return ("tuple",) + tuple(norm(x) for x in v["$tuple"])
        if "$dict" in v:
            return ("dict", frozenset((norm(k), norm(x)) for k, x in v["$dict"]))
        if "$instance" in v:
            return ("inst", v["$instance"], norm(v["$state"]))
        if len(v) == 1 and next(iter(v)).startswith("$"):
            return tuple(v.items())
        return ("dict", frozenset((k, norm(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ("list",) + tuple(norm(x) for x in v)
    if isinstance(v, bool):
        return ("bool", v)
    return v


def show(var, name):
    rc, out, err = run("show", "--json", "-d", var, "--install-dir", SITE, name, expect=0)
    return json.loads(out)["config"] if rc == 0 else {}


def same_but_clock(name, got, want, before):
    for attr in sorted(set(got) | set(want)):
        g, w = got.get(attr), want.get(attr)
        if attr == "created_at" and "created_at" not in before:
            check(isinstance(g, float), "%s: created_at %r" % (name, g))
        elif attr == "delivery_status":
            old = before.get("delivery_status", {})
            check(set(g) == set(w), "%s: delivery_status keys differ" % name)
            for k in set(g) & set(w):
                if k in old:
                    check(norm(g[k]) == norm(w[k]), "%s: delivery_status[%r]" % (name, k))
                else:
                    check(g[k]["$tuple"][0] == w[k]["$tuple"][0],
                          "%s: delivery_status[%r] status" % (name, k))
        else:
            check(norm(g) == norm(w), "%s: %s: got %.80r, want %.80r" % (name, attr, g, w))


with tempfile.TemporaryDirectory() as tmp:
    for n, (before_dir, after_dir, lists) in enumerate(SAMPLES):
        var = os.path.join(tmp, str(n))
        shutil.copytree(os.path.join(CORPUS, before_dir), var, symlinks=True)
        for root, dirs, files in os.walk(var):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                if not os.path.islink(os.path.join(root, f)):
                    os.chmod(os.path.join(root, f), 0o644)
        # apply does not create them yet (SPEC 7 wants it to)
        os.makedirs(os.path.join(var, "locks"), exist_ok=True)
        os.makedirs(os.path.join(var, "data"), exist_ok=True)
        before = {name: show(var, name) for name in lists}
        start = content_digest(var)

        # the dry run: exit 1, nothing changed, one write per list
        rc, out, err = run("update", "-n", "--json", "-d", var, "--install-dir", SITE,
                           expect=1)
        check(content_digest(var) == start, "update -n changed the tree")
        plan = json.loads(out)
        writes = sorted(f["path"] for f in plan["files"] if f["action"] == "write")
        check(writes == sorted("lists/%s/config.pck" % name for name in lists),
              "dry run writes %r" % writes)
        check(any(c["attribute"] == "data_version" for c in plan["changes"]),
              "dry run shows no data_version change")
        rc, out, err = run("update", "-n", "-d", var, "--install-dir", SITE, expect=1)
        check(b"upgrade-data-version" in out, "text report has no upgrade notes")

        # the run: what Mailman 2.1.39 wrote, but for the clock
        run("update", "-d", var, "--install-dir", SITE, expect=0)
        for name in lists:
            got = show(var, name)
            want = json.loads(run("show", "--json", "-d", os.path.join(CORPUS, after_dir),
                                  "--install-dir", SITE, name, expect=0)[1])["config"]
            same_but_clock(name, got, want, before[name])
            if before_dir.startswith("mm20"):
                check(os.path.exists(os.path.join(var, "lists", name, "config.db")),
                      "%s: config.db removed" % name)

        # nothing left to do
        rc, out, err = run("update", "-n", "-d", var, "--install-dir", SITE, expect=0)

    # bin/update's own fix on an up-to-date list: members disabled by
    # bounces without bounce information are enabled again
    var = os.path.join(tmp, "bybounce")
    os.makedirs(os.path.join(var, "lists", "bb"))
    os.makedirs(os.path.join(var, "locks"))
    os.makedirs(os.path.join(var, "data"))
    doc = {"format": "mmfix-typed-json/1", "list": "bb", "charset": "us-ascii", "config": {
        "data_version": 112, "members": {"a@x.org": 0, "b@x.org": 0}, "digest_members": {},
        "delivery_status": {"a@x.org": {"$tuple": [4, 1.5]}, "b@x.org": {"$tuple": [4, 2.5]},
                            "c@x.org": {"$tuple": [2, 3.5]}},
        "bounce_info": {"b@x.org": {"$instance": "Mailman.Bouncer._BounceInfo",
                                    "$state": {"score": 5.0}}}}}
    src = os.path.join(tmp, "bb.json")
    with open(src, "w") as f:
        json.dump(doc, f)
    run("convert", src, os.path.join(var, "lists", "bb", "config.pck"), expect=0)
    rc, out, err = run("update", "-n", "-d", var, "--install-dir", SITE, expect=1)
    check(b"upgrade-bybounce" in out, "no note on the BYBOUNCE reset")
    run("update", "-d", var, "--install-dir", SITE, "bb", expect=0)
    got = show(var, "bb")
    check(sorted(got["delivery_status"]) == ["b@x.org", "c@x.org"],
          "delivery_status after the reset: %r" % got["delivery_status"])
    check(got["data_version"] == 112, "data_version changed")

finish()
