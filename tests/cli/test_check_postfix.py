"""check-postfix over the main.cf files in tests/cli/postfix/ (each says at its
top what it shows) against the real installation corpus/mm21-sample and its
site corpus/site: each file gives exactly the findings its comment expects,
with the message and fix; a clean one exits 0; --aliases finds the 2.0
wrapper pipes; --json keeps the shape; a missing main.cf exits 66.
The expansion itself is unit-tested in tests/unit/test_postfix.c."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, check, fail, finish, run

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "postfix")
VAR = os.path.join(CORPUS, "mm21-sample")
SITE = os.path.join(CORPUS, "site")

# file -> the codes of its findings, in order
EXPECT = {
    "good.cf": [],
    "lacks-mydomain.cf": ["mydestination-lacks-mydomain", "virtual-local-domain"],
    "no-maps.cf": ["domain-not-local", "alias-maps", "virtual-alias-maps"],
    "both.cf": ["domain-both"],
    "origin.cf": ["virtual-local-domain", "recipient-delimiter"],
    "loop.cf": ["postfix-expansion"],
}


def check_postfix(*args, expect=None):
    return run("check-postfix", "-d", VAR, "--install-dir", SITE, *args, expect=expect)


def main():
    if not CORPUS or not os.path.isdir(CORPUS):
        fail("MMFIX_CORPUS not set")
        finish()
    for name, codes in EXPECT.items():
        path = os.path.join(HERE, name)
        rc, out, err = check_postfix("--json", path, expect=1 if codes else 0)
        doc = json.loads(out)
        got = [f["code"] for f in doc["findings"]]
        check(got == codes, "%s: findings %s, want %s" % (name, got, codes))
        check(doc["main_cf"] == path, "%s: main_cf names the file" % name)
        check(all(f["severity"] == "error" and "fix: " in f["message"] for f in doc["findings"]),
              "%s: every finding is an error and says its fix" % name)
        rc, text, err = check_postfix(path, expect=1 if codes else 0)
        lines = text.decode().splitlines()
        check(len(lines) == len(codes) + 1 and lines[-1].endswith("%d findings" % len(codes)),
              "%s: one line per finding, then the summary: %r" % (name, lines))

    # the example of the brief, word for word
    rc, out, err = check_postfix(os.path.join(HERE, "lacks-mydomain.cf"), expect=1)
    check(b"mydestination lacks $mydomain: mail to cs@ldc.usb.ve will bounce with "
          b"'loops back to myself'; fix: mydestination = $myhostname, localhost.$mydomain, "
          b"localhost, $mydomain" in out, "lacks-mydomain message and fix: %r" % out)
    rc, out, err = check_postfix(os.path.join(HERE, "no-maps.cf"), expect=1)
    check(b"alias_maps (= hash:/etc/aliases, nis:mail.aliases) does not name " in out,
          "alias-maps shows the expanded default")
    check(b"ci.usb.ve is neither in mydestination nor a virtual alias domain" in out
          and b"add ci.usb.ve to virtual_alias_domains" in out, "virtual domain fix")
    rc, out, err = check_postfix(os.path.join(HERE, "origin.cf"), expect=1)
    check(b"to lists.example.net ($myorigin)" in out, "myorigin expanded through ${outside}")
    rc, out, err = check_postfix(os.path.join(HERE, "loop.cf"), expect=1)
    check(b"unreasonable macro call nesting" in out, "the loop named as Postfix names it")

    # 2.0 wrapper pipes in an aliases file
    rc, out, err = check_postfix("--json", "--aliases", os.path.join(HERE, "etc-aliases"),
                                 os.path.join(HERE, "good.cf"), expect=1)
    doc = json.loads(out)
    found = [f["message"].split(": alias ")[1].split(" ")[0] for f in doc["findings"]
             if f["code"] == "aliases-2.0-pipe"]
    check(found == ["cs", "cs-admin", "cs-request"], "the three 2.0 pipes: %s" % found)
    check(len(doc["findings"]) == 3, "nothing else in that file is a finding")

    # missing file
    rc, out, err = check_postfix(os.path.join(HERE, "no-such.cf"), expect=66)
    check("no-such.cf" in err, "missing main.cf named: %s" % err)
    rc, out, err = check_postfix("a.cf", "b.cf", expect=64)
    finish()


if __name__ == "__main__":
    main()
