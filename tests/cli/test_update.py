"""update over copies of the corpus's Mailman 2.0 and 2.1.10 lists: the dry
run changes nothing and shows exactly the file operations the run then
does; the run writes config.pck, request.pck and pending.pck files that load
to what real Mailman 2.1.39's bin/update made of the same lists (all but the
clock: created_at of 2.0 lists, the time of new delivery_status entries,
the eviction times of re-pended confirmations); 2.0's config.db,
config.db.last, request.db and data/pending_subscriptions.db are kept under
names Mailman never reads; data/last_mailman_version is what bin/update
wrote; a second run has nothing to do; rollback restores the exact tree; a
SIGKILL after any operation leaves the tree all-before once the next
command has run."""
import json
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from corpus_util import CORPUS, check, content_digest, finish, run, tree_digest
from py2pickle import Inst, dumps as pickle_dumps, loads_stub
from py2marshal import dumps as marshal_dumps

# Defaults.py: PENDING_REQUEST_LIFE = days(3) (the site does not change it)
PENDING_LIFE = 3 * 24 * 3600

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


def digest(top):
    return tree_digest(top, dirs=True)


def files_of(top):
    """relative path -> bytes of every regular file but the journal"""
    out = {}
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith("mmfix-journal")]   # its .keep
        for name in files:
            p = os.path.join(root, name)
            if not name.startswith("mmfix-journal") and os.path.isfile(p) \
                    and not os.path.islink(p):
                out[os.path.relpath(p, top)] = open(p, "rb").read()
    return out


def pickle_at(top, rel):
    p = os.path.join(top, rel)
    return loads_stub(open(p, "rb").read()) if os.path.exists(p) else None


def same_pending(what, got, want, t0, t1):
    """pending.pck as Mailman wrote it, but for the eviction times, which
    bin/update sets to time.time() + PENDING_REQUEST_LIFE"""
    check(isinstance(got, dict) and isinstance(want, dict),
          "%s: got %r, want %r" % (what, got, want))
    if not isinstance(got, dict) or not isinstance(want, dict):
        return
    g, w = dict(got), dict(want)
    gev, wev = g.pop(b"evictions", None), w.pop(b"evictions", None)
    check(g == w, "%s: records %r, want %r" % (what, g, w))
    check(isinstance(gev, dict) and set(gev) == set(wev),
          "%s: evictions %r, want keys of %r" % (what, gev, wev))
    for k, v in (gev or {}).items():
        check(isinstance(v, float) and t0 + PENDING_LIFE <= v <= t1 + PENDING_LIFE,
              "%s: eviction of %r is %r, not the run's time + 3 days" % (what, k, v))


def prepare(src, var):
    shutil.copytree(src, var, symlinks=True)
    for root, dirs, files in os.walk(var):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            if not os.path.islink(os.path.join(root, f)):
                os.chmod(os.path.join(root, f), 0o644)
    os.makedirs(os.path.join(var, "locks"), exist_ok=True)
    os.makedirs(os.path.join(var, "data"), exist_ok=True)


# what real bin/update 2.1.39 recorded (the site's HEX_VERSION)
LMV = open(os.path.join(CORPUS, "mm20-sample/after-update-2.1.39/data/last_mailman_version"),
           "rb").read()

with tempfile.TemporaryDirectory() as tmp:
    for n, (before_dir, after_dir, lists) in enumerate(SAMPLES):
        var = os.path.join(tmp, str(n))
        src = os.path.join(CORPUS, before_dir)
        after = os.path.join(CORPUS, after_dir)
        prepare(src, var)
        before = {name: show(var, name) for name in lists}
        start = content_digest(var)
        start_exact = digest(var)
        old = files_of(var)

        # the dry run: exit 1, nothing changed
        rc, out, err = run("update", "-n", "--json", "-d", var, "--install-dir", SITE,
                           expect=1)
        check(content_digest(var) == start and digest(var) == start_exact,
              "update -n changed the tree")
        plan = json.loads(out)
        ops = plan["files"]
        writes = sorted(f["path"] for f in ops if f["action"] == "write")
        moves = {f["path"]: f["to"] for f in ops if f["action"] == "move"}
        check(set(f["action"] for f in ops) <= {"write", "move", "mkdir", "link", "delete"},
              "dry run: only writes, moves, template directories, archive links and "
              "removals (%r)" % sorted(set(f["action"] for f in ops)))
        for name in lists:
            check("lists/%s/config.pck" % name in writes, "%s: no config.pck write" % name)
            # bin/update's _UpdateRecords writes request.pck for every list
            check("lists/%s/request.pck" % name in writes, "%s: no request.pck write" % name)
        # per list first, then the site's steps
        site_at = [i for i, f in enumerate(ops) if f["path"].startswith("data/")]
        check(site_at == list(range(len(ops) - len(site_at), len(ops))),
              "the site-wide steps come last: %r" % ops)
        check(any(c["attribute"] == "data_version" for c in plan["changes"]),
              "dry run shows no data_version change")
        rc, out, err = run("update", "-n", "-d", var, "--install-dir", SITE, expect=1)
        check(b"upgrade-data-version" in out, "text report has no upgrade notes")
        shown = [line.split() for line in out.decode("latin-1").splitlines()]
        for f in ops:
            check([f["action"], f["path"]] + (["->", f["to"]] if "to" in f else []) in shown,
                  "text report lacks %r" % f)

        # the run: what Mailman 2.1.39 wrote, but for the clock
        t0 = time.time()
        run("update", "-d", var, "--install-dir", SITE, expect=0)
        t1 = time.time()
        new = files_of(var)
        # exactly what the dry run showed
        changed = {p for p in set(old) | set(new) if old.get(p) != new.get(p)}
        # Mailman's save keeps the replaced config.pck as config.pck.last
        lasts = {w + ".last" for w in writes if w.endswith("/config.pck") and w in old}
        deletes = {f["path"] for f in ops if f["action"] in ("delete", "rmdir")}
        made = {f["path"] for f in ops if f["action"] in ("mkdir", "link")}
        check(changed == set(writes) | lasts | set(moves) | set(moves.values()) | deletes | made,
              "the run changed %r, the dry run showed %r" % (sorted(changed), ops))
        for frm, to in moves.items():
            check(frm not in new and new.get(to) == old.get(frm),
                  "%s -> %s: not moved whole" % (frm, to))
        for name in lists:
            got = show(var, name)
            want = json.loads(run("show", "--json", "-d", after, "--install-dir", SITE, name,
                                  expect=0)[1])["config"]
            same_but_clock(name, got, want, before[name])
            for f in ("config.db", "config.db.last", "request.db"):
                rel = "lists/%s/%s" % (name, f)
                check(rel not in new, "%s: still there (Mailman could load it)" % rel)
                if rel in old:
                    check(rel in moves and new.get(moves[rel]) == old[rel],
                          "%s: not kept under another name" % rel)
            req = pickle_at(var, "lists/%s/request.pck" % name)
            want_req = pickle_at(after, "lists/%s/request.pck" % name)
            if want_req is None:
                # mm2110's after/ is 2.1.39 loading the lists, not bin/update:
                # _UpdateRecords on a list without requests writes the empty
                # database {'version': (IGN, REQUESTS_FILE_SCHEMA_VERSION)}
                want_req = {b"version": (0, 1)}
            check(req == want_req, "%s: request.pck %r, want %r" % (name, req, want_req))
            want_pend = pickle_at(after, "lists/%s/pending.pck" % name)
            got_pend = pickle_at(var, "lists/%s/pending.pck" % name)
            rel = "lists/%s/pending.pck" % name
            if rel in old or want_pend is None:
                check(got_pend == want_pend, "%s: pending.pck %r, want %r"
                      % (name, got_pend, want_pend))
            else:
                same_pending("%s: pending.pck" % name, got_pend, want_pend, t0, t1)
        # the site: what bin/update left in data/, the 2.0 files kept aside
        check(new.get("data/last_mailman_version") == LMV,
              "last_mailman_version %r" % new.get("data/last_mailman_version"))
        for rel in [r for r in old if r.startswith("data/heldmsg-")]:
            check(new.get(rel) == old[rel] == open(os.path.join(after, rel), "rb").read(),
                  "%s: not where 2.1.39 reads it" % rel)
        if "data/pending_subscriptions.db" in old:
            check("data/pending_subscriptions.db" not in new
                  and new.get("data/pending_subscriptions.db.mm20")
                  == old["data/pending_subscriptions.db"],
                  "pending_subscriptions.db not kept as .mm20")

        # nothing left to do
        rc, out, err = run("update", "-n", "-d", var, "--install-dir", SITE, expect=0)

        # rollback restores the exact tree
        rc, out, err = run("rollback", "-d", var, expect=0)
        check(digest(var) == start_exact, "%s: rollback did not restore the tree" % before_dir)

    # killed after every operation of the 2.0 update: the next command
    # rolls the run back, and the tree is all-before
    src = os.path.join(CORPUS, "mm20-sample/before")
    var = os.path.join(tmp, "plan")
    prepare(src, var)
    rc, out, err = run("update", "-n", "--json", "-d", var, "--install-dir", SITE, expect=1)
    nops = len(json.loads(out)["files"])
    check(nops >= 20, "the 2.0 update has its file operations (%d)" % nops)
    for k in range(1, nops + 1):
        var = os.path.join(tmp, "k%d" % k)
        prepare(src, var)
        start = digest(var)
        rc, out, err = run("update", "-d", var, "--install-dir", SITE,
                           env={"MMFIX_TEST_CRASH_AFTER": str(k)})
        check(rc == -signal.SIGKILL, "killed after operation %d (rc %d)" % (k, rc))
        rc, out, err = run("check", "--json", "-d", var, "--install-dir", SITE)
        check("interrupted" in err, "the next command rolls the run back (%d)" % k)
        check(digest(var) == start, "all-before after a kill at operation %d" % k)
        shutil.rmtree(var)

    # The site-wide files of older Mailmans on the 2.1.10 lists, built from
    # what 2.1.0-2.1.4's Pending.py and 1.0's gate_news stored:
    # data/gate_watermarks (marshal {list: watermark}) and the site-wide
    # data/pending.pck (protocol 0, as Pending.py writes it). What bin/update
    # does with them (read from its code): usenet_watermark = value or None;
    # subscriptions re-pended to every list the address is not a member of,
    # unsubscriptions to lists it is a member of, re-enables to their list,
    # held messages to the list holding that request id; other kinds ignored.
    var = os.path.join(tmp, "site")
    prepare(os.path.join(CORPUS, "mm2110-sample/before"), var)
    member = "bogdan.stoica@unibuc.ro"          # a member of ro-studenti only
    ud = Inst("Mailman.UserDesc UserDesc", {b"address": b"new@x.org", b"fullname": b"New",
                                            b"password": b"pw", b"digest": 0,
                                            b"language": b"en"})
    site_pending = {
        b"evictions": {b"c1": 1.0, b"c2": 1.0, b"c3": 1.0, b"c4": 1.0, b"c5": 1.0,
                      b"c6": 1.0},
        b"version": 1,
        b"c1": (b"S", ud),
        b"c2": (b"E", b"cs-konference", b"x@y.org"),
        b"c3": (b"U", member.upper().encode()),
        b"c4": (b"P", member.encode(), b"ro-studenti"),
        b"c5": (b"H", 1),
        b"c6": (b"U", b"nobody@x.org"),         # a member of no list: goes nowhere
    }
    with open(os.path.join(var, "data", "pending.pck"), "wb") as f:
        f.write(pickle_dumps(site_pending, protocol=0))
    with open(os.path.join(var, "data", "gate_watermarks"), "wb") as f:
        f.write(marshal_dumps({b"cs-konference": 1234, b"vacia": 0, b"gone": 7}))
    # vacia's held requests as 2.1.1-2.1.11 could leave them: a bare 6-item
    # held-message record whose file is missing
    with open(os.path.join(var, "lists", "vacia", "request.pck"), "wb") as f:
        f.write(pickle_dumps({b"version": (0, 1),
                              1: (1.5, b"s@x.org", b"Subj", b"Why", b"heldmsg-vacia-1.pck",
                                  {})}, protocol=1))
    open(os.path.join(var, "data", "heldmsg-vacia-9.txt"), "w").write("Subject: x\n\nx\n")
    # held by a list whose name only starts like vacia's: not vacia's orphan
    open(os.path.join(var, "data", "heldmsg-vacia-x-3.txt"), "w").write("Subject: y\n\ny\n")
    old = files_of(var)

    # with list names the site-wide steps wait for a run over every list
    rc, out, err = run("update", "-n", "--json", "-d", var, "--install-dir", SITE, "vacia",
                       expect=1)
    plan = json.loads(out)
    check(not [f for f in plan["files"] if f["path"].startswith("data/")
               or f["path"].endswith("pending.pck")],
          "a named run plans site-wide steps: %r" % plan["files"])
    rc, out, err = run("update", "-n", "-d", var, "--install-dir", SITE, "vacia", expect=1)
    check(out.count(b"update-site-skipped") == 2, "named run: no note on the skipped files")

    rc, out, err = run("update", "-n", "-d", var, "--install-dir", SITE, expect=1)
    for code in (b"pending-skipped", b"held-message-missing", b"held-message-orphan",
                 b"update-watermark", b"update-site-file-kept", b"pending-unplaced"):
        check(code in out, "report lacks %s" % code.decode())
    check(b"heldmsg-vacia-9.txt" in out and b"heldmsg-vacia-x-3.txt" not in out,
          "orphan held messages: %r" % [l for l in out.splitlines() if b"heldmsg" in l])
    t0 = time.time()
    run("update", "-d", var, "--install-dir", SITE, expect=0)
    t1 = time.time()
    new = files_of(var)
    wm = {name: show(var, name).get("usenet_watermark") for name in
          ("cs-konference", "vacia", "ro-studenti")}
    check(wm == {"cs-konference": 1234, "vacia": None, "ro-studenti": None},
          "usenet_watermark %r" % wm)
    check("data/gate_watermarks" not in new and "data/pending.pck" not in new,
          "site-wide files still where bin/update would read them again")
    check(new.get("data/gate_watermarks.mm20") == old["data/gate_watermarks"]
          and new.get("data/pending.pck.pre215") == old["data/pending.pck"],
          "site-wide files not kept")
    want = {
        # the list's own confirmation stays; c1 (not a member), c2 (its re-enable)
        "cs-konference": dict(pickle_at(os.path.join(CORPUS, "mm2110-sample/before"),
                                        "lists/cs-konference/pending.pck")),
        "ro-studenti": {b"version": 2},
        "vacia": {b"version": 2},
    }
    want["cs-konference"].update({b"c1": (b"S", ud), b"c2": site_pending[b"c2"]})
    want["ro-studenti"].update({b"c1": (b"S", ud), b"c3": site_pending[b"c3"]})
    want["vacia"].update({b"c1": (b"S", ud), b"c5": site_pending[b"c5"]})
    for name, w in want.items():
        got = pickle_at(var, "lists/%s/pending.pck" % name)
        got_ev = dict(got.pop(b"evictions", {}))
        old_ev = dict(w.pop(b"evictions", {}))
        check(got == w, "%s: pending.pck %r, want %r" % (name, got, w))
        for k, v in got_ev.items():
            check(v == old_ev[k] if k in old_ev else t0 + PENDING_LIFE <= v <= t1 + PENDING_LIFE,
                  "%s: eviction of %r: %r" % (name, k, v))
        check(set(got_ev) == set(got) - {b"version"}, "%s: evictions %r" % (name, got_ev))
    # _UpdateRecords gave the bare record its op back (item 4 is not 0/1)
    req = pickle_at(var, "lists/vacia/request.pck")
    check(req == {b"version": (0, 1), 1: (1, (1.5, b"s@x.org", b"Subj", b"Why",
                                            b"heldmsg-vacia-1.pck", {}))},
          "vacia: request.pck %r" % req)
    check(new.get("data/heldmsg-vacia-9.txt") == old["data/heldmsg-vacia-9.txt"],
          "an orphan held message was touched")
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
