"""Ownership (SPEC §7), run as root over trees owned by unprivileged users,
the way mmfix runs on a real host over Mailman's files.

Each tree is a copy of a fixture or corpus installation given to an
unprivileged owner and group with every "other" permission bit removed;
data/ (where the journal and the alias files live) has a second owner and
group, so that "its directory's" can be told from "the tree's". For every
writing command (repair, convert into a list directory, update, rename,
fix-url, genaliases, migrate, the data/ and locks/ a copied prefix lacks,
rollback, and the recovery of a killed run) it checks every entry of the
tree afterwards:

- nothing is owned by root (user or group) but the journal;
- an entry that was there keeps its owner, group and mode (a replaced file
  too), and so does one that was moved or hard-linked (.last);
- a new file, directory or symbolic link has the owner and group of the
  directory it is in (data/ and locks/ made for a copied prefix: the group
  of lists/, as Mailman's install makes them);
- a new file is 0660 (list data holds clear-text passwords)
  but for Mailman's own modes: data/aliases, data/virtual-mailman and their
  .db maps 0664 (Mailman 2.1.39's Postfix.py; no passwords in them), lock
  files 0664 (its LockFile); a new directory is Mailman's 02775, or under
  qfiles/ what Switchboard's mkdir(0770) gives; so nothing new is readable
  by others but those;
- the journal (data/mmfix-journal.sqlite, and its -wal/-shm files where a
  killed run leaves them) has data/'s group and mode 0640, and stays
  root's: a rollback (or the next command after a killed run) restores
  whatever bytes, owner and mode it records, so only root may write it;
- its keep directory (data/mmfix-journal.sqlite.keep) is root's, mode 0700;
  each entry in it is a hard link to the inode of a file the run replaced,
  so it has exactly that file's owner, group and mode (never root's), and
  a journal whose keep directory root does not own, or others may write,
  is refused as root;
- a killed run may leave the temp files of saves it had written but not yet
  renamed (<path>.tmp.<host>.<pid>): each has the owner, group and mode the
  saved file gets, and the next command removes it;
- rollback gives back every owner, group and mode exactly (entries_digest).

Needs root: run as anyone else it says SKIP and exits 77 (ctest's
SKIP_RETURN_CODE); CI runs as root."""
import grp
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections import namedtuple

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, FIXTURES, check, copy_mm21, entries_digest, finish, run  # noqa: E402

if os.geteuid() != 0:
    print("SKIP: test_ownership needs root: it gives a tree to an unprivileged user and "
          "checks what mmfix, run as root, leaves in it")
    sys.exit(77)

TOOLS = os.path.join(os.path.dirname(__file__), "..", "tools")
SITE = os.path.join(CORPUS, "site")
HOST = "listas.example.org"
POSTALIAS = shutil.which("postalias") or "/usr/sbin/postalias"
POSTMAP = shutil.which("postmap") or "/usr/sbin/postmap"
HAVE_POSTFIX = os.access(POSTALIAS, os.X_OK) and os.access(POSTMAP, os.X_OK)


def uid_of(name, fallback):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return fallback


def gid_of(name, fallback):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return fallback


# the tree: nobody and Debian's mailing-list group; data/: daemon and nogroup
OWNER, GROUP = uid_of("nobody", 65534), gid_of("list", 38)
DATA_OWNER, DATA_GROUP = uid_of("daemon", 1), gid_of("nogroup", 65534)
assert len({OWNER, DATA_OWNER, 0}) == 3 and len({GROUP, DATA_GROUP, 0}) == 3

# Mailman's own modes for files it makes readable by others (no passwords in them)
ALIAS_FILES = {"data/aliases", "data/virtual-mailman", "data/aliases.db",
               "data/virtual-mailman.db"}
JOURNAL = "data/mmfix-journal.sqlite"
KEEP = JOURNAL + ".keep"

Entry = namedtuple("Entry", "kind uid gid mode ino key")


def kind_of(st):
    return ("link" if stat.S_ISLNK(st.st_mode) else "dir" if stat.S_ISDIR(st.st_mode)
            else "file" if stat.S_ISREG(st.st_mode) else "other")


def snapshot(var):
    """rel -> Entry of every entry below var (links not followed); key tells a
    moved entry from a new one that got a freed inode number"""
    out = {}
    for root, dirs, files in os.walk(var):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            k = kind_of(st)
            key = (os.readlink(p) if k == "link" else (st.st_size, st.st_mtime_ns)
                   if k == "file" else None)
            out[os.path.relpath(p, var)] = Entry(k, st.st_uid, st.st_gid,
                                                 stat.S_IMODE(st.st_mode), st.st_ino, key)
    return out


def give_away(var, top_group=GROUP):
    """the tree to OWNER:GROUP (data/ to DATA_OWNER:DATA_GROUP), no bit for
    others but the prefix's own x (so that DATA_OWNER reaches data/: postalias
    runs as the alias file's owner)"""
    for root, dirs, files in os.walk(var):
        for p in [root] + [os.path.join(root, n) for n in dirs + files]:
            rel = os.path.relpath(p, var)
            in_data = rel == "data" or rel.startswith("data/")
            os.lchown(p, DATA_OWNER if in_data else OWNER,
                      DATA_GROUP if in_data else top_group if rel == "." else GROUP)
            st = os.lstat(p)
            if not stat.S_ISLNK(st.st_mode):
                os.chmod(p, stat.S_IMODE(st.st_mode) & ~(0o006 if rel == "." else 0o007))
    return var


TEMP_RE = re.compile(r"^(.*)\.tmp\.[^/]+\.[0-9]+$")


def same_meta(a, b):
    return (a.uid, a.gid) == (b.uid, b.gid) and (a.kind == "link" or a.mode == b.mode)


def new_mode_ok(rel, e, parent, after):
    """Mailman's mode for what mmfix made at rel"""
    if e.kind == "link":
        return True
    if e.kind == "dir":
        if rel.startswith("qfiles/"):
            return e.mode == 0o770 | (parent.mode & stat.S_ISGID)
        return e.mode == 0o2775
    if rel in ALIAS_FILES:
        return e.mode == 0o664
    if rel.startswith("locks/"):
        return e.mode == 0o664
    if rel.endswith(".pck.safety"):
        # MailList.__fix_corrupt_pckfile: shutil.copy of the .last, mode and all
        last = after.get(rel[:-len(".safety")] + ".last")
        return last is not None and e.mode == last.mode
    return e.mode == 0o660


def check_tree(var, before, what, exact=False):
    """every entry of var against before (see the module text; exact: a
    rollback, that gives back the alias files' modes too); the counts of
    kept, replaced, moved and new entries"""
    after = snapshot(var)
    topst = os.lstat(var)
    top = Entry("dir", topst.st_uid, topst.st_gid, stat.S_IMODE(topst.st_mode),
                       topst.st_ino, None)
    by_ino = {(e.ino, e.kind, e.key): (rel, e) for rel, e in before.items()
              if not rel.startswith(JOURNAL)}
    lists_dir = after.get("lists")
    n = {"kept": 0, "replaced": 0, "moved": 0, "new": 0}
    bad = []
    for rel, e in sorted(after.items()):
        parent_rel = os.path.dirname(rel)
        parent = after[parent_rel] if parent_rel else top
        if rel.startswith(JOURNAL):
            continue                        # checked below
        if e.uid == 0 or e.gid == 0:
            bad.append("%s is owned by root (%d:%d)" % (rel, e.uid, e.gid))
            continue
        b = before.get(rel)
        if b is not None and b.ino != e.ino and any(
                (x.ino, x.kind, x.key) == (b.ino, b.kind, b.key) and r != rel + ".last"
                and not r.startswith(JOURNAL) for r, x in after.items()):
            b = None        # the old one moved aside (repair's .corrupt): a new file here
        if b is not None and b.kind == e.kind:
            if rel in ALIAS_FILES and b.ino != e.ino and not exact:
                # Mailman's Postfix.py: the mode kept, rw-rw-r-- at least
                b = b._replace(mode=b.mode | 0o664)
            if not same_meta(b, e):
                bad.append("%s: %d:%d %04o, was %d:%d %04o" % (rel, e.uid, e.gid, e.mode,
                                                               b.uid, b.gid, b.mode))
            n["kept" if b.ino == e.ino else "replaced"] += 1
            continue
        m = by_ino.get((e.ino, e.kind, e.key))
        if m is not None and e.kind != "link":
            if not same_meta(m[1], e):
                bad.append("%s (was %s): %d:%d %04o, was %d:%d %04o" % (
                    rel, m[0], e.uid, e.gid, e.mode, m[1].uid, m[1].gid, m[1].mode))
            n["moved"] += 1
            continue
        n["new"] += 1
        m = TEMP_RE.match(rel)
        if m is not None and e.kind == "file" and m.group(1) in after:
            # a save written but not yet renamed (a killed run): the saved file's meta
            if not same_meta(after[m.group(1)], e):
                bad.append("temp file %s: %d:%d %04o, its file's are %d:%d %04o" % (
                    rel, e.uid, e.gid, e.mode, after[m.group(1)].uid, after[m.group(1)].gid,
                    after[m.group(1)].mode))
            continue
        want_gid = parent.gid
        if rel in ("data", "locks") and lists_dir is not None:
            want_gid = lists_dir.gid          # as Mailman's install makes them
        if (e.uid, e.gid) != (parent.uid, want_gid):
            bad.append("new %s %s: %d:%d, its directory's owner and group are %d:%d" % (
                e.kind, rel, e.uid, e.gid, parent.uid, want_gid))
        if not new_mode_ok(rel, e, parent, after):
            bad.append("new %s %s: mode %04o is not Mailman's" % (e.kind, rel, e.mode))
        if e.kind == "file" and rel not in ALIAS_FILES and not rel.startswith("locks/") \
                and e.mode & 0o007:
            bad.append("new file %s is readable by others (%04o)" % (rel, e.mode))
    for rel in sorted(r for r in after if r.startswith(JOURNAL)):
        e = after[rel]
        if rel == KEEP:
            check(e.kind == "dir" and (e.uid, e.mode) == (0, 0o700),
                  "%s: %s is root's directory, 0700 (%s %d:%d %04o)" % (
                      what, rel, e.kind, e.uid, e.gid, e.mode))
        elif rel.startswith(KEEP + "/"):
            # a kept before-image: the inode of a file that was in the tree, untouched
            was = [(r, b) for r, b in before.items() if (b.ino, b.kind) == (e.ino, "file")
                   and not r.startswith(JOURNAL)]
            check(len(was) > 0 and all(same_meta(b, e) for r, b in was),
                  "%s: kept link %s is the inode of %s, its owner, group and mode "
                  "(%d:%d %04o)" % (what, rel, [r for r, b in was], e.uid, e.gid, e.mode))
        else:
            check((e.uid, e.gid, e.mode) == (0, after["data"].gid, 0o640),
                  "%s: %s is root's, 0640, with data/'s group (%d:%d %04o)" % (
                      what, rel, e.uid, e.gid, e.mode))
    check(not bad, "%s: owners, groups and modes as SPEC §7 says:\n  %s" % (
        what, "\n  ".join(bad[:20])))
    return n, after


def runs_of(var):
    if not os.path.exists(os.path.join(var, JOURNAL)):
        return []
    rc, out, err = run("history", "--json", "-d", var, expect=0)
    return [r["run"] for r in json.loads(out)["runs"]] if rc == 0 else []


def rollback_all(var, before, what, runs, skip=()):
    """roll back every run but those in runs, newest first: nothing new left
    but the journal (and skip: what Postfix built), owners and all checked"""
    for r in runs_of(var):
        if r not in runs:
            run("rollback", "-d", var, str(r), expect=0)
    _, after = check_tree(var, before, what + ", rolled back", exact=True)
    left = [r for r in after if r not in before and not r.startswith(JOURNAL) and r not in skip]
    check(not left, "%s: rollback leaves nothing new but the journal: %s" % (what, left))


def exercise(var, what, args, expect=(0,), skip=(), env=None, rollback=True):
    """run a writing command over var, check the tree, roll back, check again"""
    before = snapshot(var)
    start = entries_digest(var)
    runs = runs_of(var)
    rc, out, err = run(*args, env=env)
    check(rc in expect, "%s: exit %d (want %s): %s" % (
        what, rc, expect, "\n".join(line for line in (out.decode(errors="replace") + err)
                                     .splitlines() if "error" in line or "fatal" in line)))
    n, after = check_tree(var, before, what)
    check(n["replaced"] + n["moved"] + n["new"] > 0, "%s changed something: %s" % (what, n))
    check(JOURNAL in after, "%s: journaled" % what)
    n["kept links"] = sum(1 for r in after if r.startswith(KEEP + "/"))
    print("%s: %s" % (what, n))
    if rollback:
        rollback_all(var, before, what, runs, skip)
        check(entries_digest(var, skip=skip) == start,
              "%s: rollback gives back every byte, owner, group and mode" % what)
    return n


def fixture(tmp, name, tag, touch=False):
    var = os.path.join(tmp, tag)
    shutil.copytree(os.path.join(FIXTURES, name), var, symlinks=True)
    if touch:
        subprocess.run([sys.executable, os.path.join(TOOLS, "mkfixtures.py"), "--touch", var],
                       check=True)
    return var


def corpus_mm21(tmp, tag):
    """mm21-sample as Mailman leaves it (directories 02775, files 0660, archive
    links symbolic links again), with locks/"""
    var = copy_mm21(os.path.join(tmp, tag))
    os.makedirs(os.path.join(var, "locks"), 0o2775, exist_ok=True)
    return var


def postfix_args(tmp, opts=""):
    pf = os.path.join(tmp, "postfix")
    if not os.path.isdir(pf):
        os.makedirs(pf)
        open(os.path.join(pf, "main.cf"), "w").close()
    return ["--postalias", POSTALIAS + opts, "--postmap", POSTMAP + opts, "--postfix-config", pf]


with tempfile.TemporaryDirectory() as tmp:
    # Mailman's users must reach the tree (postalias runs as the alias file's owner)
    os.chmod(tmp, 0o755)

    # repair: config.pck rewritten, .corrupt/.safety made, lists' .last relinked
    var = give_away(fixture(tmp, "mm21", "repair", touch=True))
    n = exercise(var, "repair", ["repair", "-d", var, "roster-mess", "broken", "hostile",
                                 "zh-old"], expect=(0, 65))
    check(n["kept links"] > 0, "repair kept the before-images of its config.pck files (4 KB "
          "and more) as links (%d)" % n["kept links"])
    check(os.listdir(os.path.join(var, KEEP)) == [], "rolled back: the kept links are gone")

    # a keep directory root does not own, or others may write, is refused as root: a
    # rollback restores what its links hold
    var = give_away(fixture(tmp, "mm21", "foreign-keep", touch=True))
    run("repair", "-d", var, "roster-mess", "zh-old", expect=None)
    keep = os.path.join(var, KEEP)
    check(len(os.listdir(keep)) > 0, "the repair kept links")
    for owner, mode, why in ((DATA_OWNER, 0o700, "owned by uid"),
                             (0, 0o770, "writable by its group")):
        os.chown(keep, owner, 0)
        os.chmod(keep, mode)
        start = entries_digest(var)
        rc, out, err = run("rollback", "-d", var, "1")
        check(rc == 73 and why in err and KEEP in err,
              "rollback refuses a keep directory %s (rc %d): %s" % (why, rc, err.strip()))
        check(entries_digest(var) == start, "nothing changed by the refused rollback (%s)" % why)
    os.chown(keep, 0, 0)
    os.chmod(keep, 0o700)
    rc, out, err = run("rollback", "-d", var, "1")
    check(rc == 0 and os.listdir(keep) == [],
          "rolled back through the kept links, which are gone then (rc %d): %s"
          % (rc, err.strip()))

    # a prefix copied from another host: data/ and locks/ made for the journal
    # and the locks, with the group of lists/ (not the prefix's)
    var = fixture(tmp, "mm21", "prepare", touch=True)
    shutil.rmtree(os.path.join(var, "data"))
    shutil.rmtree(os.path.join(var, "locks"))
    give_away(var, top_group=DATA_GROUP)
    n = exercise(var, "repair (no data/, locks/)", ["repair", "-d", var, "roster-mess"],
                 rollback=False)
    st = os.lstat(os.path.join(var, "data"))
    check((st.st_uid, st.st_gid) == (OWNER, GROUP),
          "data/ made with the prefix's owner and the group of lists/")

    # convert into a list's directory: the replaced config.pck keeps its
    # owner, group and mode; a new file in it gets the directory's
    var = fixture(tmp, "mm21", "convert", touch=True)
    os.unlink(os.path.join(var, "lists", "el-club", "config.pck"))
    give_away(var)
    js = os.path.join(tmp, "cs.json")
    run("convert", os.path.join(var, "lists", "cs", "config.pck"), js, expect=0)
    os.chmod(os.path.join(var, "lists", "cs", "config.pck"), 0o640)
    exercise(var, "convert (replace)", ["convert", js, os.path.join(var, "lists", "cs",
                                                                      "config.pck")])
    exercise(var, "convert (new file)", ["convert", js, os.path.join(var, "lists", "el-club",
                                                                       "config.pck")])

    # update of a 2.0 installation with a 2.0 queue: config/request/pending
    # files, templates moved into lists/<name>/<lang>/ (made), archive mbox
    # directories and links, qfiles/in and qfiles/bad, queue entries
    var = fixture(tmp, "mm20", "update")
    shutil.copytree(os.path.join(FIXTURES, "qfiles20", "qfiles"), os.path.join(var, "qfiles"))
    os.makedirs(os.path.join(var, "locks"), exist_ok=True)
    os.chmod(os.path.join(var, "qfiles"), 0o2775)
    give_away(var)
    exercise(var, "update", ["update", "-d", var])

    # rename: the list directory and archives moved, links re-pointed
    var = give_away(corpus_mm21(tmp, "rename"))
    exercise(var, "rename", ["rename", "-d", var, "--install-dir", SITE, "es", "espanol"])

    # fix-url over every list
    var = give_away(corpus_mm21(tmp, "fixurl"))
    exercise(var, "fix-url", ["fix-url", "-d", var, "--install-dir", SITE, "--url-host", HOST,
                              "-a"])

    # genaliases: data/aliases replaced, data/virtual-mailman new; with
    # Postfix, the .db maps it builds get the text file's owner and group
    # (-o: postalias/postmap keep root's privileges and make them root's)
    var = corpus_mm21(tmp, "genaliases")
    os.unlink(os.path.join(var, "data", "virtual-mailman"))
    give_away(var)
    extra = postfix_args(tmp, " -o") if HAVE_POSTFIX else []
    exercise(var, "genaliases", ["genaliases", "-d", var, "--install-dir", SITE, *extra],
             skip=("data/aliases.db", "data/virtual-mailman.db"))
    if HAVE_POSTFIX:
        for f in ("aliases.db", "virtual-mailman.db"):
            p = os.path.join(var, "data", f)
            check(os.path.exists(p), "postalias/postmap built %s" % f)

    # migrate: 2.0 lists upgraded and re-hosted, locks/ made, archives,
    # data/aliases written (and mapped with Postfix, running as its owner)
    var = give_away(fixture(tmp, "demo", "migrate"))
    extra = postfix_args(tmp) if HAVE_POSTFIX else []
    exercise(var, "migrate", ["migrate", "-d", var, "--url-host", HOST, *extra],
             expect=(0,) if HAVE_POSTFIX else (0, 74),
             skip=("data/aliases.db",))

    # a run killed half-way: what it leaves (the journal's -wal/-shm, the
    # list locks and their claimants, temp files, half the new files) is
    # owned as the rest; the next command rolls it back to the exact tree
    for k in (3, 9, 17):
        var = fixture(tmp, "demo", "killed-%d" % k)
        os.makedirs(os.path.join(var, "locks"))
        give_away(var)
        before = snapshot(var)
        start = entries_digest(var)
        rc, out, err = run("update", "-d", var, env={"MMFIX_TEST_CRASH_AFTER": str(k)})
        check(rc == -signal.SIGKILL, "killed after operation %d (rc %d)" % (k, rc))
        n, after = check_tree(var, before, "update killed at %d" % k)
        check(any(r.startswith("locks/") for r in after), "the kill left the list locks")
        check(JOURNAL + "-wal" in after, "the kill left the journal's -wal file")
        rc, out, err = run("history", "-d", var)
        check("interrupted" in err, "the next command rolls the killed run back (%d)" % k)
        check_tree(var, before, "update killed at %d, rolled back" % k, exact=True)
        check(entries_digest(var, skip=tuple(r for r in snapshot(var) if r.startswith("locks/")
                                             and r not in before)) == start,
              "all-before after a kill at operation %d, owners and modes too" % k)

    # a journal the list owners' user could write (an older one made by a run as that user,
    # or a -wal planted beside it in data/) is never read as root: a rollback puts back what
    # it records, as root
    var = fixture(tmp, "demo", "foreign-journal")
    give_away(var)
    rc, out, err = run("update", "-d", var)
    check(rc == 0, "update as root (%d): %s" % (rc, err.strip()))
    j = os.path.join(var, JOURNAL)
    for owner, mode, why in ((DATA_OWNER, 0o640, "owned by uid"), (0, 0o660, "writable by its group")):
        os.chown(j, owner, DATA_GROUP)
        os.chmod(j, mode)
        start = entries_digest(var)
        rc, out, err = run("rollback", "-d", var, "1")
        check(rc == 73 and why in err and "only root can write" in err,
              "rollback refuses a journal %s (rc %d): %s" % (why, rc, err.strip()))
        check(entries_digest(var) == start, "nothing changed by the refused rollback (%s)" % why)
    os.chown(j, 0, DATA_GROUP)
    os.chmod(j, 0o640)
    wal = j + "-wal"
    with open(wal, "wb") as fh:
        fh.write(b"planted")
    os.chown(wal, DATA_OWNER, DATA_GROUP)
    rc, out, err = run("history", "-d", var)
    check(rc == 73 and wal in err, "a planted -wal is refused (rc %d): %s" % (rc, err.strip()))
    os.unlink(wal)
    rc, out, err = run("rollback", "-d", var, "1")
    check(rc == 0, "the journal root owns rolls back (rc %d): %s" % (rc, err.strip()))

finish()
