"""Hostile trees for the writing commands (update, rename, fix-url --rewrite-text,
genaliases, migrate), SPEC §7: a template directory or file, an archive directory or mbox,
qfiles/ entries, data/aliases, the Postfix maps beside it, data/, locks/ and a list directory
that are symbolic links out of the tree are never followed, read, written or moved, and the
run says so (a problem line or an error message) rather than crashing; hostile pickles in
the queue are refused by the restricted unpickler and moved to qfiles/bad/, never run; list
names with shell metacharacters, '../' or NUL reach no shell and no path outside the tree;
a Defaults.py or mm_cfg.py with code in it is never executed.

Every case has its own function and looks for the payload's side effect: the link targets
live in a temporary directory outside the tree (never a real system file), whose every
entry, byte, link and directory mtime must be the same after the run, and the pickles and
site files would create a marker file there. The map programs are a stand-in named
postalias/postmap that builds FILE.db the way Postfix does, following links."""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, entries_digest, finish, in_journal, mmfix_argv, run

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import py2marshal  # noqa: E402
import py2pickle  # noqa: E402

# A stand-in for Postfix's postalias and postmap: `-q - FILE` finds every key it reads on
# stdin (printed as `key<TAB>found`, as Postfix prints what it finds); `FILE` is built into
# FILE.db by writing through whatever FILE.db is, as Postfix's own programs do.
FAKE_MAP = """#!/bin/sh
for a; do last=$a; done
case " $* " in *" -q - "*) while read -r k; do printf '%s\\tfound\\n' "$k"; done; exit 0;; esac
cat "$last" > "$last.db"
"""


class Tree:
    """A copy of a fixture installation (var/) beside a directory outside it (out/)."""

    def __init__(self, tmp, tag, base="demo"):
        self.top = os.path.join(tmp, tag)
        self.var = os.path.join(self.top, "var")
        self.out = os.path.join(self.top, "out")
        self.bin = os.path.join(self.top, "bin")
        shutil.copytree(os.path.join(FIXTURES, base), self.var, symlinks=True)
        os.makedirs(self.out)
        os.makedirs(self.bin)
        for prog in ("postalias", "postmap"):
            p = os.path.join(self.bin, prog)
            with open(p, "w") as f:
                f.write(FAKE_MAP)
            os.chmod(p, 0o755)
        self.marker = os.path.join(self.out, "PWNED")
        self.outside = None

    def path(self, rel):
        return os.path.join(self.var, rel)

    def put_out(self, rel, data=b"outside\n"):
        p = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def link(self, rel, target_rel):
        """var/rel becomes a link to out/target_rel (what was at var/rel is removed)"""
        p = self.path(rel)
        if os.path.islink(p) or os.path.isfile(p):
            os.unlink(p)
        elif os.path.isdir(p):
            shutil.rmtree(p)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(os.path.join(self.out, target_rel), p)

    def seal(self):
        """remember out/ as it is now (call after the setup)"""
        self.outside = outside_state(self.out)

    def mm(self, *args, cwd=None):
        """run mmfix with the stand-in map programs first on PATH"""
        env = dict(os.environ)
        env["PATH"] = self.bin + os.pathsep + env.get("PATH", "")
        p = subprocess.run(mmfix_argv(*args), capture_output=True, env=env, timeout=600,
                           cwd=cwd or self.top)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def untouched(self, what):
        """out/ is exactly as sealed and no payload ran"""
        check(outside_state(self.out) == self.outside,
              "%s: nothing outside the tree was read into, written, made or moved" % what)
        check(not os.path.lexists(self.marker), "%s: no payload ran" % what)


def outside_state(top):
    """every entry below top (bytes, link targets, modes) and the mtime of every directory:
    a file made and removed again still changes its directory's mtime"""
    h = hashlib.sha256(entries_digest(top).encode())
    for root, dirs, files in sorted(os.walk(top)):
        if in_journal(os.path.relpath(root, top)):
            continue                    # the journal's keep directory
        h.update(b"%s %d\n" % (root.encode(), os.stat(root).st_mtime_ns))
    return h.hexdigest()


def no_crash(rc, what, err):
    check(rc >= 0 and rc not in (70, 134, 139), "%s: no crash (exit %d: %s)" % (what, rc, err))


# the map programs found on PATH: the stand-ins
MAPS = ("--postalias", "postalias", "--postmap", "postmap")


def writers(t, lists=()):
    """the five writing commands over t (rename only when a 2.1 list is named)"""
    cmds = [("update", "-d", t.var),
            ("fix-url", "-d", t.var, "--url-host", "lists.example.com", "--rewrite-text",
             "example=EXAMPLE"),
            ("genaliases", "-d", t.var) + MAPS,
            ("migrate", "-d", t.var, "--url-host", "lists.example.com") + MAPS]
    for old, new in lists:
        cmds.insert(2, ("rename", "-d", t.var, old, new))
    return cmds


def only(cmds, *names):
    """the commands of cmds named"""
    return [c for c in cmds if c[0] in names]


def run_all(t, cmds):
    """each command; its (rc, stdout + stderr) by command name; out/ checked after each"""
    res = {}
    for c in cmds:
        rc, out, err = t.mm(*c)
        no_crash(rc, " ".join(c[:1]), err)
        t.untouched(c[0])
        res[c[0]] = (rc, out + err)
    return res


def test_template_dir_link(tmp):
    """lists/es/es/ and lists/es/en/ (language directories of list templates) link out"""
    t = Tree(tmp, "tpl-dir")
    t.put_out("tpl/listinfo.html", b"<p>outside example</p>\n")
    t.link("lists/es/es", "tpl")
    t.link("lists/es/en", "tpl")
    t.seal()
    rc, out, err = t.mm("update", "-d", t.var)
    check(rc == 65 and "lists/es/en is a symbolic link (never followed)" in out,
          "update: the templates' directory is a link, reported (%d: %s)" % (rc, err))
    rc, out, err = t.mm("fix-url", "-d", t.var, "--url-host", "x.example.com",
                        "--rewrite-text", "example=EXAMPLE")
    check("template-skipped: lists/es/es/: a symbolic link" in out,
          "fix-url --rewrite-text: the linked language directory is not searched: " + out[-800:])
    check("EXAMPLE</p>" not in out, "fix-url: the outside template is not read into the diff")
    run_all(t, only(writers(t), "migrate"))


def test_template_file_link(tmp):
    """lists/es/listinfo.html (a 2.0 list template) and lists/es/es/listinfo.html link out"""
    t = Tree(tmp, "tpl-file")
    t.put_out("listinfo.html", b"<p>outside example</p>\n")
    t.link("lists/es/listinfo.html", "listinfo.html")
    t.seal()
    rc, out, err = t.mm("update", "-d", t.var)
    check("template-kept: lists/es/listinfo.html: a symbolic link: never followed" in out,
          "update: the linked template is reported and left (%d: %s)" % (rc, err))
    check(os.path.islink(t.path("lists/es/listinfo.html")), "update: the link stays where it was")
    os.makedirs(t.path("lists/es/es"), exist_ok=True)
    os.symlink(os.path.join(t.out, "listinfo.html"), t.path("lists/es/es/options.html"))
    rc, out, err = t.mm("fix-url", "-d", t.var, "--url-host", "x.example.com",
                        "--rewrite-text", "example=EXAMPLE")
    check("template-skipped: lists/es/es/options.html" in out,
          "fix-url --rewrite-text: a linked template is not searched: " + out[-800:])
    run_all(t, only(writers(t), "migrate"))


def test_archive_dir_link(tmp):
    """archives/private/es (the HTML archive) links out"""
    t = Tree(tmp, "arch-dir")
    t.put_out("arch/index.html")
    t.link("archives/private/es", "arch")
    t.seal()
    rc, out, err = t.mm("update", "-d", t.var)
    check("archive-link-private: archives/private/es is a link" in out,
          "update: the archive link is reported (%d: %s)" % (rc, err))
    t.untouched("update")
    before = entries_digest(t.var)
    rc, out, err = t.mm("rename", "-d", t.var, "es", "espanol")
    check(rc == 65 and "archives/private/es: is a symbolic link" in err
          and "nothing was changed" in err, "rename: refused before the run (%d: %s)" % (rc, err))
    check(entries_digest(t.var) == before, "rename: the tree is unchanged")
    run_all(t, only(writers(t), "fix-url", "migrate"))


def test_mbox_links(tmp):
    """archives/private/es.mbox, and es.mbox/es.mbox, link out"""
    for tag, setup in (("mbox-dir", lambda t: t.link("archives/private/es.mbox", "mb")),
                       ("mbox-file", lambda t: t.link("archives/private/es.mbox/es.mbox",
                                                       "mb/es.mbox"))):
        t = Tree(tmp, tag)
        t.put_out("mb/es.mbox", b"From a@example.org Mon Jan  1 00:00:00 2001\n\nhi\n")
        setup(t)
        t.seal()
        rc, out, err = t.mm("update", "-d", t.var)
        no_crash(rc, tag + " update", err)
        t.untouched(tag + " update")
        before = entries_digest(t.var)
        rc, out, err = t.mm("rename", "-d", t.var, "es", "espanol")
        check(rc == 65 and "is a symbolic link" in err and "nothing was changed" in err,
              "%s: rename refused before the run (%d: %s)" % (tag, rc, err))
        check(entries_digest(t.var) == before, "%s: rename changed nothing" % tag)
        t.untouched(tag + " rename")


def test_archives_root_link(tmp):
    """archives/ and archives/private/ themselves link out: the archive step is skipped"""
    for tag, rel in (("archives-root", "archives"), ("archives-private", "archives/private")):
        t = Tree(tmp, tag)
        shutil.copytree(t.path(rel), os.path.join(t.out, "copy"), symlinks=True)
        t.link(rel, "copy")
        t.seal()
        rc, out, err = t.mm("update", "-d", t.var)
        check("archive-dir-missing: %s is a symbolic link" % rel in out,
              "%s: update skips the archive step and says why (%d: %s)" % (tag, rc, err))
        check("--- lists/es/config.db" in out and rc in (0, 65),
              "%s: the rest of the update is done (%d)" % (tag, rc))
        t.untouched(tag + " update")
        run_all(t, only(writers(t, [("es", "espanol")]), "rename", "migrate"))


def test_public_link_out(tmp):
    """archives/public/de-verein links out of the tree: rename leaves it, makes no new link
    out"""
    t = Tree(tmp, "public", base="mm21")
    t.put_out("pub/index.html")
    os.makedirs(t.path("archives/public"), exist_ok=True)
    t.link("archives/public/de-verein", "pub")
    t.seal()
    rc, out, err = t.mm("rename", "-d", t.var, "de-verein", "verein")
    check(rc == 0, "rename goes on (%d: %s)" % (rc, err))
    check("rename-public-archive: archives/public/de-verein points to" in out,
          "the outside link is reported: " + out[-600:])
    check(os.path.islink(t.path("archives/public/de-verein"))
          and not os.path.lexists(t.path("archives/public/verein")),
          "the link is left, none is made pointing out")
    t.untouched("rename")


def test_qfiles_links(tmp):
    """qfiles/ itself, qfiles/bad/, qfiles/in/, a queue directory and a queue entry link out"""
    cases = {
        "qfiles": ("qfiles", "qfile-queue-dir: qfiles is a symbolic link"),
        "qfiles-bad": ("qfiles/bad", "qfiles/bad is a symbolic link"),
        "qfiles-in": ("qfiles/in", "qfiles/in is a symbolic link"),
        "qfiles-queue": ("qfiles/virgin", "qfile-link: qfiles/virgin is a symbolic link"),
    }
    for tag, (rel, said) in sorted(cases.items()):
        t = Tree(tmp, tag)
        shutil.copytree(os.path.join(FIXTURES, "qfiles20", "qfiles"), t.path("qfiles"))
        shutil.copytree(os.path.join(FIXTURES, "qfiles20", "qfiles"), os.path.join(t.out, "q"))
        if os.path.lexists(t.path(rel)):
            shutil.rmtree(t.path(rel))
        os.symlink(os.path.join(t.out, "q"), t.path(rel))
        t.seal()
        rc, out, err = t.mm("update", "-d", t.var)
        check(said in out, "%s: update says so (%d: %s)" % (tag, rc, out[-500:] + err))
        no_crash(rc, tag, err)
        t.untouched(tag + " update")
        run_all(t, only(writers(t), "migrate"))
    # one entry of the 2.0 queue is a link: moved to bad/ as a link, never read
    t = Tree(tmp, "qfiles-entry")
    shutil.copytree(os.path.join(FIXTURES, "qfiles20", "qfiles"), t.path("qfiles"))
    src = t.path("qfiles/077cbc3eca5c888a02e6ebe2e12a2f7e4e4961f2.db")
    shutil.copy(src, t.path("qfiles/zzz.db"))
    t.put_out("zzz.msg", b"From: x@example.org\n\nhi\n")
    t.link("qfiles/zzz.msg", "zzz.msg")
    t.seal()
    rc, out, err = t.mm("update", "-d", t.var)
    check(os.path.islink(t.path("qfiles/bad/zzz.msg"))
          and os.readlink(t.path("qfiles/bad/zzz.msg")) == os.path.join(t.out, "zzz.msg"),
          "the linked entry is in bad/ as the same link (%d: %s)" % (rc, err))
    check("zzz.msg is a symbolic link (never followed)" in out, "and reported")
    t.untouched("update")


def test_alias_file_links(tmp):
    """data/aliases and data/virtual-mailman link out: neither read nor written, no map built"""
    t = Tree(tmp, "aliases")
    t.put_out("aliases", b"root: admin\n")
    t.put_out("virtual", b"x@example.org y\n")
    t.link("data/aliases", "aliases")
    t.link("data/virtual-mailman", "virtual")
    t.seal()
    for c in (("genaliases", "-d", t.var) + MAPS,
              ("migrate", "-d", t.var, "--url-host", "a.example") + MAPS):
        rc, out, err = t.mm(*c)
        check(rc == 65 and "alias-file-not-regular: data/aliases" in out,
              "%s: refused with a problem (%d: %s)" % (c[0], rc, err))
        check(not os.path.lexists(t.path("data/aliases.db")), c[0] + ": no map was built")
        t.untouched(c[0])


def test_alias_map_link(tmp):
    """data/aliases.db links out: postalias, run as root, would overwrite its target"""
    t = Tree(tmp, "aliases-db")
    target = t.put_out("target", b"precious\n")
    t.link("data/aliases.db", "target")
    t.link("data/virtual-mailman.lmdb", "target")
    t.seal()
    for c in (("genaliases", "-d", t.var) + MAPS,
              ("migrate", "-d", t.var, "--url-host", "a.example") + MAPS):
        rc, out, err = t.mm(*c)
        check(rc == 65 and "alias-map-link: data/aliases.db is a symbolic link" in out
              and "alias-map-link: data/virtual-mailman.lmdb" in out,
              "%s: refused with a problem (%d: %s)" % (c[0], rc, out[-600:] + err))
        check(open(target, "rb").read() == b"precious\n", c[0] + ": the target is intact")
        check(not os.path.exists(t.path("data/aliases")), c[0] + ": no alias file written")
        t.untouched(c[0])
    # the same tree without the links: the stand-in builds the map (the test would see it)
    os.unlink(t.path("data/aliases.db"))
    os.unlink(t.path("data/virtual-mailman.lmdb"))
    rc, out, err = t.mm("genaliases", "-d", t.var, *MAPS)
    check(rc == 0 and os.path.isfile(t.path("data/aliases.db")),
          "without the links the map is built (%d: %s)" % (rc, err))


def test_data_dir_link(tmp):
    """data/ links out: no journal there, nothing read or written through it"""
    t = Tree(tmp, "data")
    shutil.copytree(t.path("data"), os.path.join(t.out, "data"))
    t.link("data", "data")
    t.seal()
    res = run_all(t, writers(t, [("es", "espanol")]))
    for name, (rc, text) in sorted(res.items()):
        check(rc == 65 and "data/ is a symbolic link to" in text and "nothing was changed" in text,
              "%s: refused, saying why (%d: %s)" % (name, rc, text[-300:]))
    check(not os.path.exists(os.path.join(t.out, "data", "mmfix-journal.sqlite")),
          "no journal was made outside")


def test_locks_dir_link(tmp):
    """locks/ links out: no lock file is made there (not even for a moment)"""
    t = Tree(tmp, "locks")
    os.makedirs(os.path.join(t.out, "locks"))
    t.link("locks", "locks")
    t.seal()
    res = run_all(t, writers(t, [("es", "espanol")]))
    for name, (rc, text) in sorted(res.items()):
        check(rc == 65 and "locks/ is a symbolic link to" in text,
              "%s: refused, saying why (%d: %s)" % (name, rc, text[-300:]))
    # where the site's own settings put LOCK_DIR (Debian: /var/lock/mailman), mmfix locks too
    with open(t.path("Mailman/mm_cfg.py"), "a") as f:
        f.write("LOCK_DIR = %r\n" % os.path.join(t.out, "locks"))
    rc, out, err = t.mm("update", "-d", t.var)
    check(rc == 0, "locks/ linked to the site's LOCK_DIR is used (%d: %s)" % (rc, err))
    check(os.listdir(os.path.join(t.out, "locks")) == [], "and its locks are released")


def test_list_dir_link(tmp):
    """lists/evil links out (a list directory elsewhere), named on the command line"""
    t = Tree(tmp, "list-link", base="mm21")
    shutil.copytree(t.path("lists/de-verein"), os.path.join(t.out, "evil"))
    t.link("lists/evil", "evil")
    t.seal()
    for c in (("update", "-d", t.var, "evil"), ("fix-url", "-d", t.var, "--url-host", "a.b", "evil"),
              ("rename", "-d", t.var, "evil", "good"), ("migrate", "-d", t.var, "evil"),
              ("repair", "-d", t.var, "evil")):
        rc, out, err = t.mm(*c)
        check(rc in (65, 66) and "lists/evil" in err and "symbolic link" in err,
              "%s: refused (%d: %s)" % (c[0], rc, err))
        t.untouched(c[0])
    rc, out, err = t.mm("update", "-d", t.var)
    check("evil" not in out, "update of every list leaves it out")
    t.untouched("update (all)")


def bare_pickle(*parts):
    return b"".join(parts) + b"."


def s0(b):
    return b"S'" + b + b"'\n"


def call(module, name, *args):
    return b"c" + module + b"\n" + name + b"\n(" + b"".join(args) + b"tR"


def test_queue_pickles(tmp):
    """hostile pickles in a Mailman 2.1 (pre-2.1.5) queue entry, a 2.0 entry holding a code
    object, and a current entry: refused and moved to bad/, or never read; nothing runs"""
    t = Tree(tmp, "queue")
    pwn = b"touch " + t.marker.encode()
    payloads = {
        "os": call(b"os", b"system", s0(pwn)),
        "posix": call(b"posix", b"system", s0(pwn)),
        "eval": call(b"__builtin__", b"eval", s0(b"__import__('os').system('" + pwn + b"')")),
        "subprocess": b"csubprocess\nPopen\n(" + s0(b"sh") + s0(b"-c") + s0(pwn) + b"ltR",
        "builtins": call(b"builtins", b"exec", s0(b"import os; os.system('" + pwn + b"')")),
    }
    os.makedirs(t.path("qfiles/out"))
    os.makedirs(t.path("qfiles/in"))
    names = []
    for k, (what, body) in enumerate(sorted(payloads.items())):
        base = "97500%04d.5+%040x" % (k, k + 1)
        meta = {b"listname": b"es", b"version": 3, b"received_time": b"975000000.5",
                b"tolist": 1}
        with open(t.path("qfiles/out/%s.db" % base), "wb") as f:
            f.write(py2marshal.dumps(meta))
        with open(t.path("qfiles/out/%s.pck" % base), "wb") as f:
            f.write(bare_pickle(body))
        names.append(base)
    # a current entry (one .pck, both pickles): bin/update leaves it, mmfix never reads it
    current = t.path("qfiles/in/975009999.5+%040x.pck" % 99)
    with open(current, "wb") as f:
        f.write(bare_pickle(payloads["os"]) + bare_pickle(b"}"))
    cur_bytes = open(current, "rb").read()
    # 2.0: a .db holding a code object (marshal 'c') beside its message
    shutil.copy(os.path.join(FIXTURES, "qfiles20", "qfiles", "a1code.db"), t.path("qfiles/a1code.db"))
    shutil.copy(os.path.join(FIXTURES, "qfiles20", "qfiles", "a1code.msg"), t.path("qfiles/a1code.msg"))
    t.seal()
    rc, out, err = t.mm("update", "-d", t.var)
    no_crash(rc, "update", err)
    for base in names:
        for ext in (".db", ".pck"):
            check(os.path.isfile(t.path("qfiles/bad/%s%s" % (base, ext)))
                  and not os.path.exists(t.path("qfiles/out/%s%s" % (base, ext))),
                  "%s%s moved to qfiles/bad/" % (base, ext))
    check(out.count("refused by the restricted unpickler") == len(names),
          "each refusal reported (%d of %d)" % (out.count("refused by the restricted unpickler"),
                                                  len(names)))
    check(os.path.isfile(t.path("qfiles/bad/a1code.db")), "the 2.0 code object moved to bad/")
    check(open(current, "rb").read() == cur_bytes, "the current entry is left as it is")
    t.untouched("update")
    rc, out, err = t.mm("migrate", "-d", t.var, "--url-host", "a.example")
    no_crash(rc, "migrate", err)
    t.untouched("migrate")


def test_list_names(tmp):
    """list directories named with shell metacharacters, a newline, a leading '-'; rename
    arguments with '../', '/', metacharacters and a newline"""
    t = Tree(tmp, "names")
    evil = ["a&b", "x;rm -rf y", "$(touch PWNED)", "`touch PWNED`", "new\nline", "-c",
            "|touch PWNED", ">PWNED", "..\\x"]
    for n in evil:
        os.makedirs(t.path("lists/" + n))
        shutil.copy(t.path("lists/cs/config.db"), t.path("lists/%s/config.db" % n))
    t.seal()
    # a name with a newline cannot start a report line of its own
    rc, out, err = t.mm("update", "-n", "-d", t.var)
    check("lists/new\\x0aline/config.db" in out, "the newline is shown as \\x0a")
    check(not [l for l in (out + err).splitlines() if l.startswith("line")],
          "no report line starts with what follows the newline")
    for c in writers(t):
        rc, out, err = t.mm(*c, cwd=t.out)
        no_crash(rc, c[0], err)
        t.untouched(c[0])
        check(not [f for f in os.listdir(t.top) if "PWNED" in f], c[0] + ": no file made beside")
    aliases = open(t.path("data/aliases"), "rb").read()
    for n in evil:
        if n != "-c":   # a valid Mailman name: it has its aliases
            check(("\n%s:" % n).encode() not in aliases and n.encode() + b"-owner" not in aliases,
                  "%r has no alias" % n)
    check(b'"|/usr/local/mailman/mail/mailman post -c"' in aliases, "'-c' has its aliases")
    refusals = [("cs", "../../x"), ("cs", "x/y"), ("cs", "$(touch PWNED)"), ("cs", "new\nname"),
                ("cs", ".."), ("../lists/cs", "ok"), ("x;rm -rf y", "../z")]
    for old, new in refusals:
        before = entries_digest(t.var)
        rc, out, err = t.mm("rename", "-d", t.var, "--", old, new, cwd=t.out)
        check(rc == 64, "rename %r %r refused (%d: %s)" % (old, new, rc, err))
        check(entries_digest(t.var) == before, "rename %r %r changed nothing" % (old, new))
    # rename is the cure for such a name (update made it a 2.1 list above)
    rc, out, err = t.mm("rename", "-d", t.var, "--", "$(touch PWNED)", "cured", cwd=t.out)
    check(rc == 0 and os.path.isdir(t.path("lists/cured")),
          "rename '$(touch PWNED)' cured (%d: %s)" % (rc, err))
    check(not [f for f in os.listdir(t.top) + os.listdir(t.out) if "PWNED" in f],
          "rename: no file made beside")
    t.untouched("rename")


def test_nul_in_names(tmp):
    """NUL bytes in real_name, subject_prefix and a held message's file name (a pickle holds
    them; argv cannot): rename neither cuts them short nor makes a path of them"""
    t = Tree(tmp, "nul", base="mm21")
    pck = t.path("lists/de-verein/config.pck")
    cfg = py2pickle.loads_stub(open(pck, "rb").read())
    cfg[b"real_name"] = b"De-verein\x00../../../evil"
    cfg[b"subject_prefix"] = b"[De-verein]\x00 tail"
    with open(pck, "wb") as f:
        py2pickle.dump(cfg, f)
    req = {b"version": (0, 1),
           1: (2, (975000000.0, b"a@example.org", b"s", b"r", b"heldmsg-de-verein-1.pck\x00/../x",
                   {b"listname": b"de-verein\x00x"}))}
    with open(t.path("lists/de-verein/request.pck"), "wb") as f:
        py2pickle.dump(req, f)
    t.seal()
    rc, out, err = t.mm("rename", "-d", t.var, "de-verein", "verein")
    check(rc == 0, "rename (%d: %s)" % (rc, err))
    after = py2pickle.loads_stub(open(t.path("lists/verein/config.pck"), "rb").read())
    check(after[b"subject_prefix"] == b"[De-verein]\x00 tail",
          "a subject_prefix with a NUL byte is kept whole: %r" % after[b"subject_prefix"])
    check(b"\x00" not in after[b"real_name"], "real_name is the new name: %r" % after[b"real_name"])
    r = py2pickle.loads_stub(open(t.path("lists/verein/request.pck"), "rb").read())
    check(r[1][1][4] == b"heldmsg-de-verein-1.pck\x00/../x",
          "a held file name with a NUL byte is not rewritten: %r" % (r[1][1][4],))
    t.untouched("rename")


HOSTILE_CFG = """
import os
os.system('touch {m}')
open('{m}', 'w').write('x')
__import__('os').system('touch {m}')
exec("import os; os.system('touch {m}')")
MTA = __import__('os').system('touch {m}') or 'Postfix'
DEFAULT_URL_HOST = eval("__import__('os').system('touch {m}')")
POSTFIX_ALIAS_CMD = '/bin/sh -c "touch {m}"'
"""


def test_site_code(tmp):
    """Defaults.py and mm_cfg.py with code in them: never executed; -v names every statement
    that was not read as a setting; a map command that needs a shell is not run"""
    t = Tree(tmp, "site-code")
    for f in ("Defaults.py", "mm_cfg.py"):
        with open(t.path("Mailman/" + f), "a") as fp:
            fp.write(HOSTILE_CFG.format(m=t.marker))
    t.seal()
    for c in writers(t):
        rc, out, err = t.mm(c[0], "-v", *c[1:])
        no_crash(rc, c[0], err)
        t.untouched(c[0])
        for f in ("Defaults.py", "mm_cfg.py"):
            check(err.count("site: %s, line" % f) >= 6,
                  "%s: each statement of %s that is no setting is named (%d)"
                  % (c[0], f, err.count("site: %s, line" % f)))
    rc2, out2, err2 = t.mm("genaliases", "-d", t.var, "--postmap", "postmap")
    check(rc2 == 64 and "only a shell would interpret" in err2,
          "the site's POSTFIX_ALIAS_CMD needing a shell is refused (%d: %s)" % (rc2, err2))
    t.untouched("genaliases")


def test_site_value_injection(tmp):
    """a site setting (read as a plain value) that would break out of data/aliases: a
    WRAPPER_DIR with a newline and a pipe, a DATA_DIR with a comma and a pipe, a
    MAILMAN_SITE_LIST with a colon, a virtual domain with a blank"""
    cases = {
        "wrapper": "WRAPPER_DIR = '/usr/lib/mailman/mail\\nroot: \"|touch %s\"'\n",
        "data": "DATA_DIR = '/var/lib/mailman/data,|touch %s'\n",
        "site-list": "MAILMAN_SITE_LIST = 'mailman-loop: \"|touch %s\"'\n",
        "virtual": "POSTFIX_STYLE_VIRTUAL_DOMAINS = ['example.org %s']\n",
    }
    for tag, line in sorted(cases.items()):
        t = Tree(tmp, "inject-" + tag)
        with open(t.path("Mailman/mm_cfg.py"), "a") as fp:
            fp.write(line % t.marker)
        t.seal()
        rc, out, err = t.mm("genaliases", "-d", t.var, *MAPS)
        check(rc == 65 and "alias-unsafe-setting" in out,
              "%s: refused with a problem (%d: %s)" % (tag, rc, out[-400:] + err))
        check(not os.path.exists(t.path("data/aliases")), tag + ": no alias file written")
        t.untouched(tag)


with tempfile.TemporaryDirectory() as tmp:
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn(tmp)
finish()
