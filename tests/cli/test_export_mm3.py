"""export-mm3 --mailman into a real Mailman 3 (Debian's mailman3 3.3.8), against
import21 fed a correctly decoded input.

Over the cs, de-forum, es, ja-users and test-en lists of
../shared/corpus/mm21-sample (Czech iso-8859-2, German and Spanish iso-8859-1,
Japanese euc-jp, English), three throwaway Mailman 3 instances (SQLite, the
null MTA, no daemon; the configuration is MM3_CFG below):

  A  `mmfix export-mm3 --mailman "mailman -C A.cfg [--run-as-root]"`: mmfix
     creates each list, runs import21 on its config.pck and checks the result
     with `mailman members` and `mailman lists`;
  R  the reference, made here from the corpus with Python and never from
     mmfix's output: each config.pck unpickled with encoding='bytes', every
     Python 2 str decoded in the charset the site's Defaults.py gives the
     list's language (else UTF-8, else Latin-1), pickled again and given to
     Mailman 3's own create and import21 commands (mm3_import.py, one process);
  P  plain import21 of the corpus files, as an administrator would run it.

A must hold exactly what R holds: every mailinglist column, the rosters
(addresses, original case, display names of addresses and users, roles,
moderation, member and address preferences), content filters, header
matches, acceptable aliases, bans, domains, and the template files import21
writes. P must differ from R (text lost); the test prints how many
mailinglist fields and display names mmfix saved. Also: the held messages of
es come out as .eml files a mail parser reads back with Message-ID, Subject
and body; report.json names the bounce records and passwords of every list
that has them; requests.json holds es's held subscriptions with their names.

Without a `mailman` command this test is skipped (exit 77), except under
CI=true, where tools/setup.sh installs mailman3 and its absence fails.
Time: nearly all of it is Mailman 3 (about 2 s to start each command, 10 ms
per member imported): about 90 s of CPU, R and P running beside A. Against
an ASan build of mmfix (tools/test.sh runs the suite twice) only cs and
ja-users go through A and R, and P is left out: what the sanitizers check is
mmfix's side, the same code for two lists as for five.
"""
import email
import email.policy
import json
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, MMFIX, check, fail, finish, run

SAMPLE = os.path.join(CORPUS, "mm21-sample")
SITE = os.path.join(CORPUS, "site")
LISTS = ["cs", "de-forum", "es", "ja-users", "test-en"]
HERE = os.path.dirname(os.path.abspath(__file__))

# The throwaway Mailman 3: everything under one directory, SQLite, no MTA.
MM3_CFG = """[mailman]
layout: throwaway
site_owner: admin@example.org

[paths.throwaway]
var_dir: {var}

[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///{var}/mailman.db

[mta]
incoming: mailman.mta.null.NullMTA
"""


class Stub:
    """Mailman.Bouncer._BounceInfo and friends: their state, nothing else"""

    def __setstate__(self, state):
        self.state = state


class Loader(pickle.Unpickler):
    def find_class(self, module, name):
        return Stub


def site_charsets():
    text = open(os.path.join(SITE, "Mailman", "Defaults.py"), encoding="latin-1").read()
    return dict(re.findall(r"add_language\('([^']+)',\s*'[^']*',\s*'([^']+)'", text))


def decode(v, cs):
    """every py2 str: the list's charset, else UTF-8, else Latin-1"""
    if isinstance(v, bytes):
        for c in (cs, "utf-8"):
            try:
                return v.decode(c)
            except (UnicodeDecodeError, LookupError):
                pass
        return v.decode("latin-1")
    if isinstance(v, list):
        return [decode(x, cs) for x in v]
    if isinstance(v, tuple):
        return tuple(decode(x, cs) for x in v)
    if isinstance(v, dict):
        return {decode(k, cs): decode(x, cs) for k, x in v.items()}
    if isinstance(v, Stub):
        return decode(getattr(v, "state", None), cs)
    return v


def corpus_config(name):
    with open(os.path.join(SAMPLE, "lists", name, "config.pck"), "rb") as f:
        return Loader(f, encoding="bytes").load()


def mm3_python(mailman):
    """the interpreter of the mailman script (Mailman 3's own Python)"""
    with open(mailman, "rb") as f:
        first = f.readline().decode(errors="replace").strip()
    return first[2:].split()[0] if first.startswith("#!") else sys.executable


def make_instance(tmp, tag):
    var = os.path.join(tmp, tag)
    os.makedirs(var)
    cfg = os.path.join(tmp, tag + ".cfg")
    with open(cfg, "w") as f:
        f.write(MM3_CFG.format(var=var))
    return var, cfg


# ---- the database, without ids, uuids and times of the run ----

ROSTER = """
select m.list_id, m.role, m.moderation_action, m.bounce_score, m.total_warnings_sent,
       a.email, a._original, a.display_name, u.display_name, u.password, u.is_server_owner,
       mp.acknowledge_posts, mp.hide_address, mp.preferred_language, mp.receive_list_copy,
       mp.receive_own_postings, mp.delivery_mode, mp.delivery_status,
       ap.acknowledge_posts, ap.hide_address, ap.preferred_language, ap.receive_list_copy,
       ap.receive_own_postings, ap.delivery_mode, ap.delivery_status
from member m join address a on m.address_id = a.id
     left join user u on a.user_id = u.id
     left join preferences mp on m.preferences_id = mp.id
     left join preferences ap on a.preferences_id = ap.id
"""


def dump(var):
    c = sqlite3.connect(os.path.join(var, "mailman.db"))
    c.row_factory = sqlite3.Row
    out = {"lists": {}}
    ids = {}
    for r in c.execute("select * from mailinglist"):
        d = dict(r)
        ids[d.pop("id")] = d["list_id"]
        out["lists"][d["list_id"]] = d
    out["roster"] = sorted(tuple(r) for r in c.execute(ROSTER))
    out["contentfilter"] = sorted((ids[r[0]], r[1], r[2]) for r in c.execute(
        "select mailing_list_id, filter_type, filter_pattern from contentfilter"))
    out["headermatch"] = sorted((ids[r[0]],) + tuple(r[1:]) for r in c.execute(
        "select mailing_list_id, position, header, pattern, chain, tag from headermatch"))
    out["acceptablealias"] = sorted((ids[r[0]], r[1]) for r in c.execute(
        "select mailing_list_id, alias from acceptablealias"))
    out["ban"] = sorted(tuple(r) for r in c.execute("select list_id, email from ban"))
    out["domain"] = sorted(tuple(r) for r in c.execute(
        "select mail_host, description, alias_domain from domain"))
    out["template"] = sorted(tuple(r) for r in c.execute(
        "select name, context, uri, username, password from template"))
    c.close()
    files = {}
    top = os.path.join(var, "templates")
    for root, _dirs, names in os.walk(top):
        for n in names:
            p = os.path.join(root, n)
            files[os.path.relpath(p, top)] = open(p, "rb").read()
    out["template_files"] = files
    return out


def compare(got, want, what):
    """A against R, table by table and column by column"""
    for lid in sorted(set(got["lists"]) | set(want["lists"])):
        g = got["lists"].get(lid)
        w = want["lists"].get(lid)
        if g is None or w is None:
            fail("%s: list %s only in %s" % (what, lid, "the reference" if g is None else
                                              "mmfix's import"))
            continue
        bad = [k for k in sorted(w) if g.get(k) != w[k]]
        check(not bad, "%s: %s: mailinglist columns differ: %s" % (
            what, lid, ", ".join("%s got %r want %r" % (k, g.get(k), w[k]) for k in bad[:5])))
        check(len(w) > 90, "%s: %s: %d mailinglist columns compared" % (what, lid, len(w)))
    for table in ("roster", "contentfilter", "headermatch", "acceptablealias", "ban", "domain",
                  "template", "template_files"):
        g = got[table]
        w = want[table]
        if g != w:
            if isinstance(w, dict):
                diff = sorted(set(g.items()) ^ set(w.items()))
            else:
                diff = sorted(set(g) ^ set(w))
            fail("%s: %s differs (%d vs %d rows), e.g. %r" % (what, table, len(g), len(w),
                                                              diff[:3]))
        else:
            check(True, "%s equal" % table)
    check(len(want["roster"]) > 300, "the rosters hold the members (%d rows)"
          % len(want["roster"]))
    check(len(want["template_files"]) > 0, "import21 wrote templates (%d files)"
          % len(want["template_files"]))


def losses(plain, want):
    """mailinglist fields and display names plain import21 got wrong"""
    fields = []
    for lid, w in want["lists"].items():
        p = plain["lists"].get(lid, {})
        fields += ["%s.%s" % (lid, k) for k in w if p.get(k) != w[k]]
    names_w = {(r[0], r[5], r[1]): (r[7], r[8]) for r in want["roster"]}
    names_p = {(r[0], r[5], r[1]): (r[7], r[8]) for r in plain["roster"]}
    names = [k for k, v in names_w.items() if names_p.get(k) != v]
    templates = [k for k, v in want["template_files"].items()
                 if plain["template_files"].get(k) != v]
    return fields, names, templates


def check_held(out):
    """es's held messages as .eml: headers and body as Mailman pickled them"""
    req = Loader(open(os.path.join(SAMPLE, "lists", "es", "request.pck"), "rb"),
                 encoding="bytes").load()
    held = {k: v[1] for k, v in req.items() if isinstance(k, int) and v[0] == 1}
    check(len(held) == 2, "es holds 2 messages in the corpus")
    for rid, info in held.items():
        msg = Loader(open(os.path.join(SAMPLE, "data", info[4].decode()), "rb"),
                     encoding="bytes").load().state
        headers = {k.decode().lower(): v for k, v in msg[b"_headers"]}
        path = os.path.join(out, "es", "held", "%d.eml" % rid)
        if not os.path.exists(path):
            fail("no %s" % path)
            continue
        eml = email.message_from_binary_file(open(path, "rb"), policy=email.policy.compat32)
        check(eml["Message-ID"] == headers["message-id"].decode(),
              "%d.eml: Message-ID %r" % (rid, eml["Message-ID"]))
        check(eml["Subject"] == headers["subject"].decode(),
              "%d.eml: Subject %r" % (rid, eml["Subject"]))
        check(eml.get_payload(decode=True) == msg[b"_payload"],
              "%d.eml: the body, byte for byte" % rid)
        check(all(eml[k.decode()] is not None for k, _v in msg[b"_headers"]),
              "%d.eml: every header of the held message" % rid)


def check_report(out, fqdns):
    rep = json.load(open(os.path.join(out, "report.json")))
    by = {e["name"]: e for e in rep["lists"]}
    for name in LISTS:
        d = corpus_config(name)
        e = by.get(name)
        if e is None:
            fail("report.json has no entry for %s" % name)
            continue
        check(e["status"] == "exported" and e["fqdn"] == fqdns[name],
              "%s: exported as %s" % (name, e.get("fqdn")))
        nb = len(d[b"bounce_info"])
        check(e["not_imported"]["bounce_info"] == nb,
              "%s: report counts %d bounce records (corpus %d)"
              % (name, e["not_imported"]["bounce_info"], nb))
        if nb:
            check(any(x["attribute"] == "bounce_info" for x in e["left_out"]),
                  "%s: bounce_info named as left out" % name)
        check(e["not_imported"]["passwords"] == len(d[b"passwords"]),
              "%s: report counts %d passwords" % (name, len(d[b"passwords"])))
        imp = e.get("import", {})
        check(imp.get("tried") and not imp.get("missing") and not imp.get("wrong")
              and imp.get("addresses_checked", 0) > 0,
              "%s: mmfix checked the import (%s)" % (name, imp))
    with_bounces = [n for n in LISTS if len(corpus_config(n)[b"bounce_info"]) > 0]
    check(len(with_bounces) >= 2, "lists with bounce records: %s" % with_bounces)
    if "es" not in LISTS:
        return
    req = json.load(open(os.path.join(out, "es", "requests.json")))
    corpus_req = Loader(open(os.path.join(SAMPLE, "lists", "es", "request.pck"), "rb"),
                        encoding="bytes").load()
    subs = sorted((v[1][1].decode(), decode(v[1][2], "iso-8859-1"))
                  for k, v in corpus_req.items() if isinstance(k, int) and v[0] == 2)
    got = sorted((s["address"], s["fullname"]) for s in req["held_subscriptions"])
    check(got == subs, "es/requests.json: held subscriptions %r" % got)


def main():
    mailman = shutil.which("mailman")
    if mailman is None:
        if os.environ.get("CI") == "true":
            fail("mailman (Debian's mailman3) is not installed: tools/setup.sh installs it")
            finish()
        print("SKIP: no mailman command (install Debian's mailman3)")
        sys.exit(77)
    root = ["--run-as-root"] if os.geteuid() == 0 else []
    charsets = site_charsets()
    global LISTS
    ldd = subprocess.run(["ldd", MMFIX], capture_output=True)
    sanitized = b"libasan" in ldd.stdout
    if sanitized:
        LISTS = ["cs", "ja-users"]
        print("an ASan build of mmfix: %s only, no plain import21" % ", ".join(LISTS))
    tmp = tempfile.mkdtemp(prefix="mmfix-mm3-")
    try:
        var_a, cfg_a = make_instance(tmp, "A")
        var_r, cfg_r = make_instance(tmp, "R")
        var_p, cfg_p = make_instance(tmp, "P")
        ref_pairs = []
        plain_pairs = []
        fqdns = {}
        for name in LISTS:
            d = decode(corpus_config(name), charsets[corpus_config(name)[b"preferred_language"]
                                                     .decode()])
            fqdns[name] = "%s@%s" % (name, d["host_name"])
            p = os.path.join(tmp, name + ".ref.pck")
            with open(p, "wb") as f:
                pickle.dump(d, f, protocol=2)
            ref_pairs.append("%s=%s" % (fqdns[name], p))
            plain_pairs.append("%s=%s" % (fqdns[name],
                                          os.path.join(SAMPLE, "lists", name, "config.pck")))
        py = mm3_python(mailman)
        helper = os.path.join(HERE, "mm3_import.py")
        # R and P beside A: each is one process
        runs = ((cfg_r, ref_pairs),) + (() if sanitized else ((cfg_p, plain_pairs),))
        procs = [subprocess.Popen([py, helper, cfg, *pairs], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
                 for cfg, pairs in runs]
        out = os.path.join(tmp, "export")
        cmd = " ".join([mailman, "-C", cfg_a] + root)
        rc, stdout, stderr = run("export-mm3", "-d", SAMPLE, "--install-dir", SITE, "--out",
                                 out, "--mailman", cmd, *LISTS)
        check(rc == 0, "export-mm3 --mailman exits 0 (got %d): %s\n%s"
              % (rc, stderr, stdout.decode(errors="replace")[-3000:]))
        for p, what in zip(procs, ("reference", "plain")):
            _o, err = p.communicate(timeout=900)
            check(p.returncode == 0, "the %s import ran (%s)" % (what, err.decode()[-2000:]))
        got = dump(var_a)
        want = dump(var_r)
        compare(got, want, "mmfix export + import21")
        if not sanitized:
            plain = dump(var_p)
            fields, names, templates = losses(plain, want)
            check(len(fields) > 0 and len(names) > 0,
                  "plain import21 loses text: %d fields, %d display names" % (len(fields),
                                                                             len(names)))
            print("plain import21 lost, and mmfix's export kept: %d mailinglist fields (%s), "
                  "%d display names, %d template files" % (
                      len(fields), ", ".join(sorted(fields)[:8]) + ", ...", len(names),
                      len(templates)))
        if "es" in LISTS:
            check_held(out)
        check_report(out, fqdns)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
