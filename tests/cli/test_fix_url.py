"""fix-url over copies of the real corpus mm21-sample (site: corpus/site).

The expected web_page_url and host_name come from Mailman 2.1.39's
bin/fix_url.py rule and the corpus site's settings (corpus README:
DEFAULT_URL_PATTERN 'http://%s/mailman/', DEFAULT_URL_HOST 'www.ldc.usb.ve',
DEFAULT_EMAIL_HOST 'ldc.usb.ve', virtual hosts www.ldc.usb.ve -> ldc.usb.ve
and www.ci.usb.ve -> ci.usb.ve), never from mmfix's output. The written
config.pck files are read back with an independent Python unpickler
(tests/tools/py2pickle.loads_stub). --rewrite-text is checked on texts we
add to copies with py2pickle (no corpus text names the old web host): a
Czech iso-8859-2 and a Japanese euc-jp text with the host right next to
non-ASCII characters, a us-ascii list holding a Latin-1 byte, a unicode
value, and the lists' own templates."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from corpus_util import CORPUS, check, finish, run, tree_digest as digest  # noqa: E402
import py2pickle  # noqa: E402

SITE = os.path.join(CORPUS, "site")
PATTERN = "http://%s/mailman/"
VIRTUAL_HOSTS = {"www.ldc.usb.ve": "ldc.usb.ve", "www.ci.usb.ve": "ci.usb.ve"}
DEFAULT_URL_HOST = "www.ldc.usb.ve"
DEFAULT_EMAIL_HOST = "ldc.usb.ve"
OLD, NEW = b"www.ldc.usb.ve", b"listas.example.org"


def fix_url(urlhost):
    """bin/fix_url.py: (web_page_url, host_name) for -u urlhost (None: no -u)"""
    if urlhost:
        return (PATTERN % urlhost).encode(), VIRTUAL_HOSTS.get(urlhost.lower(), urlhost).encode()
    return (PATTERN % DEFAULT_URL_HOST).encode(), DEFAULT_EMAIL_HOST.encode()


def fresh(tmp, tag):
    dst = os.path.join(tmp, tag)
    shutil.copytree(os.path.join(CORPUS, "mm21-sample"), dst, symlinks=True)
    return dst


def lists_of(var):
    return sorted(os.listdir(os.path.join(var, "lists")))


def load(var, name):
    with open(os.path.join(var, "lists", name, "config.pck"), "rb") as f:
        return py2pickle.loads_stub(f.read())


def save(var, name, config):
    with open(os.path.join(var, "lists", name, "config.pck"), "wb") as f:
        py2pickle.dump(config, f, 1)


def fix(var, *args, expect=None):
    return run("fix-url", "-d", var, "--install-dir", SITE, *args, expect=expect)


def check_hosts(var, urlhost, before, what, email=None):
    """every list has fix_url's two values as str, everything else as before"""
    web, mail = fix_url(urlhost)
    if email is not None:
        mail = email.encode()
    for name in lists_of(var):
        after = load(var, name)
        check(after[b"web_page_url"] == web and type(after[b"web_page_url"]) is bytes,
              "%s: %s: web_page_url %r, fix_url.py sets %r" % (what, name,
                                                              after[b"web_page_url"], web))
        check(after[b"host_name"] == mail and type(after[b"host_name"]) is bytes,
              "%s: %s: host_name %r, fix_url.py sets %r" % (what, name, after[b"host_name"],
                                                           mail))
        rest_a = {k: v for k, v in after.items() if k not in (b"web_page_url", b"host_name")}
        rest_b = {k: v for k, v in before[name].items()
                  if k not in (b"web_page_url", b"host_name")}
        check(rest_a == rest_b, "%s: %s: nothing but the two attributes changed" % (what, name))


with tempfile.TemporaryDirectory() as tmp:
    # 1. a host in VIRTUAL_HOSTS: the dry run, the run, nothing left, rollback
    var = fresh(tmp, "virtual")
    start = digest(var)
    before = {n: load(var, n) for n in lists_of(var)}
    rc, out, err = fix(var, "-n", "--json", "--url-host", "www.ci.usb.ve", expect=1)
    check(digest(var) == start, "fix-url -n changes nothing")
    plan = json.loads(out)
    changed = {(c["list"], c["attribute"]) for c in plan["changes"]}
    for name in lists_of(var):
        web, mail = fix_url("www.ci.usb.ve")
        for attr, want in (("web_page_url", web), ("host_name", mail)):
            if before[name][attr.encode()] != want:
                check((name, attr) in changed, "dry run shows %s %s" % (name, attr))
    check(all(c["attribute"] in ("web_page_url", "host_name") for c in plan["changes"]),
          "fix-url changes only web_page_url and host_name")
    check(not any(p["code"] == "url-host-not-virtual" for p in plan["problems"]),
          "no warning for a virtual host")
    rc, out, err = fix(var, "--url-host", "www.ci.usb.ve", expect=0)
    check_hosts(var, "www.ci.usb.ve", before, "virtual host")
    rc, out, err = fix(var, "-n", "--url-host", "www.ci.usb.ve", expect=0)
    check(b"0 changes, 0 file operations" in out, "second run: nothing to do")
    rc, out, err = run("rollback", "-d", var, expect=0)
    rc, out, err = run("rollback", "-d", var, expect=0)   # the locks/ it made
    check(digest(var) == start, "rollback restores the tree exactly")

    # 2. a host not in VIRTUAL_HOSTS: fix_url.py takes the web host as mail host
    var = fresh(tmp, "other")
    before = {n: load(var, n) for n in lists_of(var)}
    rc, out, err = fix(var, "--json", "--url-host", "listas.example.org", expect=0)
    plan = json.loads(out)
    warned = {p["list"] for p in plan["problems"] if p["code"] == "url-host-not-virtual"}
    check(warned == set(lists_of(var)),
          "url-host-not-virtual for every list whose mail host moved: %s" % sorted(warned))
    check_hosts(var, "listas.example.org", before, "not virtual")
    # upper case: the table is looked up in lower case, the URL keeps the case
    rc, out, err = fix(var, "--url-host", "WWW.CI.USB.VE", expect=0)
    check_hosts(var, "WWW.CI.USB.VE", before, "upper case")
    # no --url-host: fix_url.py without -u (the site defaults)
    rc, out, err = fix(var, expect=0)
    check_hosts(var, None, before, "no -u")
    # --email-host chooses the mail host; no warning then
    rc, out, err = fix(var, "--json", "--url-host", "listas.example.org", "--email-host",
                       "ci.usb.ve", expect=0)
    check(not any(p["code"] == "url-host-not-virtual" for p in json.loads(out)["problems"]),
          "no url-host-not-virtual with --email-host")
    check_hosts(var, "listas.example.org", before, "--email-host", email="ci.usb.ve")
    run("fix-url", "-d", var, "--url-host", "a b", expect=64)
    run("fix-url", "-d", var, "--url-host", "x.org", "--rewrite-text", "=x", expect=64)

    # 3. --rewrite-text: byte-safe in each list's charset, templates too
    var = fresh(tmp, "rewrite")
    cs_text = ("Diskuse o p\u0159ekladech\u00a0- archiv:\u010d" "www.ldc.usb.ve"
               "\u0159/pipermail/cs/\n\u017dlu\u0165ou\u010dk\u00fd k\u016f\u0148: "
               "http://www.ldc.usb.ve/mailman/listinfo/cs").encode("iso-8859-2")
    ja_text = ("\u30e1\u30fc\u30ea\u30f3\u30b0\u30ea\u30b9\u30c8\u306e\u30da\u30fc\u30b8"
               "\uff1ahttp://www.ldc.usb.ve/mailman/listinfo/ja-users\u3067\u3059\u3002"
               "\n\u65e5\u672c\u8a9ewww.ldc.usb.ve\u306e\u30ea\u30b9\u30c8").encode("euc-jp")
    latin1_in_ascii = b"Caf\xe9 del laboratorio: http://www.ldc.usb.ve/ (\xa1bienvenidos!)"
    uni = "F\u00fcr Mitglieder: http://www.ldc.usb.ve/mailman/listinfo/de-forum"
    edits = {
        "cs": {b"info": cs_text, b"description": cs_text.split(b"\n")[0]},
        "ja-users": {b"info": ja_text,
                     b"acceptable_aliases": b"ja-users@www.ldc.usb.ve\n"},
        "test-en": {b"info": latin1_in_ascii},
        "de-forum": {b"description": uni,
                     b"topics": [(b"web", b"www\\.ldc", b"Links zu www.ldc.usb.ve", False)]},
    }
    for name, attrs in edits.items():
        c = load(var, name)
        c.update(attrs)
        save(var, name, c)
    templates = {
        "cs/cs/subscribeack.txt": ("\n\u010cl\u00e1nky: http://www.ldc.usb.ve/mailman/"
                                   "listinfo/cs - \u0159\u00ed\u0161e\n").encode(
                                       "iso-8859-2"),
        "ja-users/ja/listinfo.html": ("<p>\u8a73\u3057\u304f\u306f"
                                      "www.ldc.usb.ve\u3078</p>\n").encode("euc-jp"),
    }
    for rel, extra in templates.items():
        with open(os.path.join(var, "lists", rel), "ab") as f:
            f.write(extra)
    tpl_before = {rel: open(os.path.join(var, "lists", rel), "rb").read() for rel in templates}
    es_tpl = open(os.path.join(var, "lists", "es/es/listinfo.html"), "rb").read()
    before = {n: load(var, n) for n in lists_of(var)}
    start = digest(var)

    args = ("--url-host", "listas.example.org", "--email-host", "ldc.usb.ve",
            "--rewrite-text", "%s=%s" % (OLD.decode(), NEW.decode()))
    rc, out, err = fix(var, "-n", *args, expect=1)
    text = out.decode("utf-8", "replace")
    check("write  lists/cs/cs/subscribeack.txt" in text, "dry run lists the template write")
    check("cs: template-rewritten: lists/cs/cs/subscribeack.txt: 1 occurrence" in text,
          "a note per template file with its count:\n" + text)
    check("ja-users: template-rewritten: lists/ja-users/ja/listinfo.html: 1 occurrence" in text,
          "euc-jp template note")
    check("@@ acceptable_aliases @@\n" in text and "+ja-users@listas.example.org\n" in text
          and "-ja-users@www.ldc.usb.ve\n" in text, "the change is in the diff (a line diff)")
    check("test-en: text-rewritten: info: 1 occurrence rewritten (1 value not valid us-ascii"
          in text, "the undecodable value is said to be rewritten as bytes")
    check(digest(var) == start, "the dry run changes nothing")
    rc, out, err = fix(var, *args, expect=0)

    for name in lists_of(var):
        after = load(var, name)
        for k, v in before[name].items():
            if k == b"web_page_url":
                want = (PATTERN % "listas.example.org").encode()
            elif k == b"host_name":
                want = b"ldc.usb.ve"
            elif k in (b"info", b"description", b"acceptable_aliases") and isinstance(v, bytes):
                want = v.replace(OLD, NEW)
            elif isinstance(v, str) and k == b"description":
                want = v.replace(OLD.decode(), NEW.decode())
            elif k == b"topics" and name == "de-forum":
                want = [(b"web", b"www\\.ldc", b"Links zu listas.example.org", False)]
            else:
                want = v
            check(after[k] == want and type(after[k]) is type(want),
                  "%s.%s: %r, want %r" % (name, k.decode(), after[k], want))
    cs_after = load(var, "cs")[b"info"]
    check(("\u010d" "listas.example.org" "\u0159").encode("iso-8859-2") in cs_after,
          "the iso-8859-2 bytes right before and after the host are unchanged")
    check(cs_after.decode("iso-8859-2").count("listas.example.org") == 2,
          "both Czech occurrences rewritten")
    ja_after = load(var, "ja-users")[b"info"]
    check(("\uff1ahttp://listas.example.org/mailman/listinfo/ja-users\u3067").encode("euc-jp")
          in ja_after and ("\u8a9e" "listas.example.org" "\u306e").encode("euc-jp") in ja_after,
          "the euc-jp characters around the host are unchanged")
    check(ja_after.decode("euc-jp") == ja_text.decode("euc-jp").replace("www.ldc.usb.ve",
                                                                        "listas.example.org"),
          "the Japanese text reads the same with the new host")
    check(load(var, "test-en")[b"info"] == latin1_in_ascii.replace(OLD, NEW),
          "the Latin-1 bytes of a us-ascii list are kept, the host rewritten")
    check(isinstance(load(var, "de-forum")[b"description"], str), "unicode stays unicode")
    check(load(var, "mailman")[b"members"] == before["mailman"][b"members"],
          "member addresses are never rewritten")
    for rel, old in tpl_before.items():
        new = open(os.path.join(var, "lists", rel), "rb").read()
        check(new == old.replace(OLD, NEW), "%s rewritten byte for byte" % rel)
    check(open(os.path.join(var, "lists", "es/es/listinfo.html"), "rb").read() == es_tpl,
          "a template without the host is untouched")
    check(("\u010cl\u00e1nky: http://listas.example.org/").encode("iso-8859-2") in
          open(os.path.join(var, "lists", "cs/cs/subscribeack.txt"), "rb").read(),
          "Czech template bytes next to the host unchanged")

    rc, out, err = fix(var, "-n", *args, expect=0)
    check(b"0 changes, 0 file operations" in out, "second rewrite run: nothing to do")
    rc, out, err = run("rollback", "-d", var, expect=0)
    rc, out, err = run("rollback", "-d", var, expect=0)
    check(digest(var) == start, "rollback restores texts and templates exactly")

    # 4. NEW containing OLD: a second run does not rewrite again
    var = fresh(tmp, "nested")
    c = load(var, "vacia")
    c[b"info"] = b"see http://ldc.usb.ve/ and http://www.ldc.usb.ve/"
    save(var, "vacia", c)
    rc, out, err = fix(var, "--rewrite-text", "ldc.usb.ve=lists.ldc.usb.ve", "vacia", expect=0)
    want = b"see http://lists.ldc.usb.ve/ and http://www.lists.ldc.usb.ve/"
    check(load(var, "vacia")[b"info"] == want, "rewritten once: %r" % load(var, "vacia")[b"info"])
    rc, out, err = fix(var, "-n", "--rewrite-text", "ldc.usb.ve=lists.ldc.usb.ve", "vacia",
                       expect=0)
    check(load(var, "vacia")[b"info"] == want, "no second rewrite")

    # 5. 2.0 data: fix_url.py would upgrade it first; mmfix leaves it to update
    var = os.path.join(tmp, "mm20")
    shutil.copytree(os.path.join(CORPUS, "mm20-sample", "before"), var, symlinks=True)
    rc, out, err = fix(var, "--json", "--url-host", "www.ci.usb.ve", "cs", expect=65)
    check([p["code"] for p in json.loads(out)["problems"]] == ["not-upgraded"],
          "a 2.0 list is reported not-upgraded")
    check(not os.path.exists(os.path.join(var, "lists", "cs", "config.pck")),
          "and no config.pck is written for it")

finish()
