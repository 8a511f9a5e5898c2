"""export-mm3 without Mailman 3: what it writes and reports for a list built to
hold everything import21 gets wrong.

A copy of the corpus installation (mm21-sample) gets one more list, `odd`,
made from test-en's configuration (typed JSON from `mmfix show --json`,
edited, written back with `mmfix convert`), holding: a str that is UTF-8 and
one that is Latin-1 in an English (us-ascii) list, a Latin-1 member name, a
_BounceInfo record, an enum value import21 aborts on, header filter rules
import21 skips (approve action, no header, bad regexp, duplicate) and one it
cannot unpack, non-member entries (a regexp, an @list reference, a
non-address, a non-string), a topic, a ban matching a member, a host name
with shell metacharacters; a held multipart message without a boundary and
a held 2.0 text message; an archive with a body "From " line, an 8-bit
separator, a message without Message-ID, one with an unreadable Date and one
whose body is not in its declared charset.

Checked: config.pck loads in Python 3 with every str decoded (no bytes left)
and the values named; report.json names each fallback, each left-out value
and each skipped rule, report.txt the text report; the held messages parse back (parts, bodies); import.sh
runs against a stand-in `mailman` that records its arguments: one argument per
name and host, nothing run by the shell; the archive problems are reported,
--fix-mbox writes a cleaned copy that Python's mailbox reads with one message
per message, each with a Message-ID, a readable Date and a body in its
charset, and the original stays byte for byte; a dry run writes nothing and
exits 1; a --mailman command that fails makes it exit 1; usage errors exit 64;
a Mailman 2.0 list is refused (65).
"""
import base64
import email
import email.policy
import email.utils
import hashlib
import json
import mailbox
import os
import pickle
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import CORPUS, check, copy_writable, fail, finish, run

SAMPLE = os.path.join(CORPUS, "mm21-sample")
SITE = os.path.join(CORPUS, "site")


def b64(b):
    return {"$bytes": base64.b64encode(b).decode()}


def build_odd(var):
    """lists/odd: test-en's configuration with the odd values"""
    rc, out, err = run("show", "--json", "-d", var, "--install-dir", SITE, "test-en")
    doc = json.loads(out)
    c = doc["config"]
    c["real_name"] = "Odd"
    c["info"] = b64("Česká konference".encode("utf-8"))
    c["description"] = b64(b"Caf\xe9 des amis")
    c["host_name"] = "ex'ample.org;touch PWNED"
    c["usernames"]["smith9854@gmail.com"] = b64(b"Ren\xe9 Smith")
    c["bounce_info"] = {"smith9854@gmail.com": {
        "$instance": "Mailman.Bouncer._BounceInfo",
        "$state": {"member": "smith9854@gmail.com", "score": 1.0,
                   "date": {"$tuple": [2026, 11, 1]}, "noticesleft": 3,
                   "lastnotice": {"$tuple": [1970, 1, 1]}, "cookie": None}}}
    c["reply_goes_to_list"] = 7
    c["header_filter_rules"] = [
        {"$tuple": ["^Subject: spam", 3, False]},
        {"$tuple": ["X-Approve: yes", 1, False]},
        {"$tuple": ["no header here", 2, False]},
        {"$tuple": ["Subject: (unclosed", 2, False]},
        {"$tuple": ["subject: spam", 3, False]},
        {"$tuple": ["only two", 2]},
    ]
    c["accept_these_nonmembers"] = ["^.*@good\\.example\\.org$", "@otherlist",
                                    "not an address", "friend@example.org", 5]
    c["topics"] = [{"$tuple": ["Jobs", "job|career", "Job offers", False]}]
    c["topics_userinterest"] = {"smith9854@gmail.com": ["Jobs"]}
    c["ban_list"] = ["^.*@comcast\\.net$"]
    os.makedirs(os.path.join(var, "lists", "odd"))
    src = os.path.join(var, "odd.json")
    with open(src, "w") as f:
        json.dump(doc, f)
    run("convert", src, os.path.join(var, "lists", "odd", "config.pck"), expect=0)
    # held requests: a multipart message (no boundary) and a 2.0 text message
    parts = [{"$instance": "Mailman.Message.Message", "$state": {
        "_headers": [{"$tuple": ["Content-Type", "text/plain; charset=utf-8"]}],
        "_payload": b64("first part: ünïcode\n".encode()), "_unixfrom": None,
        "_default_type": "text/plain", "preamble": None, "epilogue": None}}
        for _ in range(1)]
    parts.append({"$instance": "Mailman.Message.Message", "$state": {
        "_headers": [{"$tuple": ["Content-Type", "application/octet-stream"]},
                     {"$tuple": ["Content-Transfer-Encoding", "base64"]}],
        "_payload": "AAEC\n", "_unixfrom": None, "_default_type": "text/plain",
        "preamble": None, "epilogue": None}})
    held = {"$instance": "Mailman.Message.Message", "$state": {
        "_headers": [{"$tuple": ["From", "a@example.org"]},
                     {"$tuple": ["Subject", "two parts"]},
                     {"$tuple": ["Message-ID", "<multi@example.org>"]},
                     {"$tuple": ["Content-Type", "multipart/mixed"]}],
        "_payload": parts, "_unixfrom": "From a@example.org Mon Jan  1 00:00:00 2024",
        "_default_type": "text/plain", "preamble": "preamble text", "epilogue": ""}}
    p = os.path.join(var, "held.json")
    with open(p, "w") as f:
        json.dump({"format": "mmfix-typed-json/1", "list": "odd", "charset": "utf-8",
                   "config": held}, f)
    run("convert", p, os.path.join(var, "data", "heldmsg-odd-1.pck"), expect=0)
    with open(os.path.join(var, "data", "heldmsg-odd-2.txt"), "wb") as f:
        f.write(b"From: b@example.org\nSubject: old\nMessage-ID: <old@example.org>\n\nbody\n")
    req = {"format": "mmfix-typed-json/1", "list": "odd", "charset": "us-ascii", "config": {
        "$dict": [
            [1, {"$tuple": [1, {"$tuple": [1.5, "a@example.org", "two parts", "why",
                                           "heldmsg-odd-1.pck", {}]}]}],
            [2, {"$tuple": [1, {"$tuple": [2.5, "b@example.org", "old", "why",
                                           "heldmsg-odd-2.txt", {}]}]}],
            [3, {"$tuple": [1, {"$tuple": [3.5, "c@example.org", "gone", "why",
                                           "../../etc/passwd", {}]}]}],
            [4, {"$tuple": [3, "leaving@example.org"]}],
            ["version", {"$tuple": [0, 1]}]]}}
    p = os.path.join(var, "req.json")
    with open(p, "w") as f:
        json.dump(req, f)
    run("convert", p, os.path.join(var, "lists", "odd", "request.pck"), expect=0)
    # the archive
    d = os.path.join(var, "archives", "private", "odd.mbox")
    os.makedirs(d)
    mbox = (b"From a@example.org Mon Jan  1 10:00:00 2024\n"
            b"From: a@example.org\nSubject: one\nDate: Mon, 01 Jan 2024 10:00:00 +0000\n"
            b"Message-ID: <one@example.org>\n\nhello\nFrom here on it breaks\nbye\n\n"
            b"From b\xe9@example.org Tue Jan  2 10:00:00 2024\n"
            b"From: b@example.org\nSubject: two\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n\n"
            b"no message id\n\n"
            b"From c@example.org Wed Jan  3 10:00:00 2024\n"
            b"From: c@example.org\nSubject: three\nDate: sometime last week\n"
            b"Message-ID: <three@example.org>\n\nbad date\n\n"
            b"From d@example.org Thu Jan  4 10:00:00 2024\n"
            b"From: d@example.org\nSubject: four\nDate: Thu, 04 Jan 2024 10:00:00 +0000\n"
            b"Message-ID: <four@example.org>\nContent-Type: text/plain; charset=us-ascii\n\n"
            b"caf\xc3\xa9\n\n")
    with open(os.path.join(d, "odd.mbox"), "wb") as f:
        f.write(mbox)
    return mbox


def has_bytes(v):
    if isinstance(v, bytes):
        return True
    if isinstance(v, (list, tuple)):
        return any(has_bytes(x) for x in v)
    if isinstance(v, dict):
        return any(has_bytes(k) or has_bytes(x) for k, x in v.items())
    return False


def check_config(out, rep):
    d = pickle.load(open(os.path.join(out, "odd", "config.pck"), "rb"))
    check(not has_bytes(d), "config.pck: every str decoded (no bytes left)")
    check(d["info"] == "Česká konference", "info decoded as UTF-8: %r" % d["info"])
    check(d["description"] == "Café des amis", "description as Latin-1: %r" % d["description"])
    check(d["usernames"]["smith9854@gmail.com"] == "René Smith", "a member's name")
    check("bounce_info" not in d and "reply_goes_to_list" not in d,
          "bounce_info and the bad reply_goes_to_list left out")
    check(len(d["header_filter_rules"]) == 5, "the rule import21 cannot unpack left out")
    check(d["accept_these_nonmembers"] == ["^.*@good\\.example\\.org$", "@otherlist",
                                           "not an address", "friend@example.org"],
          "the non-string non-member entry left out: %r" % d["accept_these_nonmembers"])
    e = rep["lists"][0]
    fb = {x["path"]: x["decoded_as"] for x in e["fallbacks"]}
    check(fb.get("info") == "utf-8" and fb.get("description") == "iso-8859-1"
          and fb.get("usernames['smith9854@gmail.com']") == "iso-8859-1",
          "report.json names the fallbacks: %r" % fb)
    lo = {x["attribute"] for x in e["left_out"]}
    check({"bounce_info", "reply_goes_to_list", "header_filter_rules[5]",
           "accept_these_nonmembers[4]"} <= lo, "left out: %r" % lo)
    hr = {x["line"]: x["why"] for x in e["not_imported"]["header_filter_rules"]}
    check(set(hr) == {"X-Approve: yes", "no header here", "Subject: (unclosed",
                      "subject: spam"}, "header rules import21 skips: %r" % hr)
    check("duplicate" in hr.get("subject: spam", "") or "same header" in
          hr.get("subject: spam", ""), "the duplicate named as such")
    nm = {x["rule"].split(": ", 1)[1]: x["why"] for x in e["not_imported"]["nonmember_rules"]}
    check(set(nm) == {"^.*@good\\.example\\.org$", "@otherlist", "not an address"},
          "non-member entries noted: %r" % nm)
    check(e["not_imported"]["topics"] == 1 and e["not_imported"]["topic_interests"] == 1,
          "topics counted")
    check(e["not_imported"]["bounce_info"] == 1, "one bounce record")
    refused = {x["address"] for x in e["not_imported"]["addresses"]}
    check(refused == {"harris7696@comcast.net"}, "the banned member: %r" % refused)


def check_held(out, rep):
    e = rep["lists"][0]
    by = {h["id"]: h for h in e["held_messages"]}
    check(set(by) == {"1", "2", "3"}, "three held messages reported")
    check("error" in by.get("3", {}) and "outside" in by["3"]["error"],
          "a request naming ../../etc/passwd is not read")
    m = email.message_from_binary_file(open(os.path.join(out, "odd", "held", "1.eml"), "rb"),
                                       policy=email.policy.compat32)
    check(m.is_multipart() and len(m.get_payload()) == 2, "1.eml: two parts")
    check(m.get_boundary() is not None, "1.eml: a boundary was made and declared")
    check(m["Message-ID"] == "<multi@example.org>", "1.eml: Message-ID")
    p0, p1 = m.get_payload()
    check(p0.get_payload(decode=True) == "first part: ünïcode\n".encode(),
          "1.eml: first part's body")
    check(p1.get_payload(decode=True) == b"\x00\x01\x02", "1.eml: second part (base64)")
    check(m.preamble == "preamble text", "1.eml: preamble")
    two = open(os.path.join(out, "odd", "held", "2.eml"), "rb").read()
    check(two.startswith(b"From: b@example.org\n"), "2.eml: the 2.0 text message as it was")
    check(not os.path.exists(os.path.join(out, "odd", "held", "3.eml")), "no 3.eml")
    req = json.load(open(os.path.join(out, "odd", "requests.json")))
    check([u["address"] for u in req["held_unsubscriptions"]] == ["leaving@example.org"],
          "requests.json: the held unsubscription")


def check_script(tmp, out):
    """import.sh against a stand-in mailman that records its arguments"""
    log = os.path.join(tmp, "calls.json")
    fake = os.path.join(tmp, "fake-mailman")
    with open(fake, "w") as f:
        f.write("#!%s\nimport json, sys\nopen(%r, 'a').write(json.dumps(sys.argv[1:]) + "
                "'\\n')\n" % (sys.executable, log))
    os.chmod(fake, 0o755)
    env = dict(os.environ, MAILMAN=fake)
    p = subprocess.run(["sh", os.path.join(out, "import.sh")], cwd=tmp, env=env,
                       capture_output=True)
    check(p.returncode == 0, "import.sh runs (%s)" % p.stderr.decode(errors="replace"))
    calls = [json.loads(x) for x in open(log)]
    fq = "odd@ex'ample.org;touch pwned"
    check(["create", "--", fq] in calls, "create with the host as one argument: %r"
          % calls[:3])
    check(["import21", "--", fq, "odd/config.pck"] in calls, "import21 of odd/config.pck")
    check(["import21", "--", "es@ldc.usb.ve", "es/config.pck"] in calls, "import21 of es")
    check(calls[0] == ["lists", "-q"], "the lists Mailman 3 has are asked first")
    check(not os.path.exists(os.path.join(tmp, "PWNED"))
          and not os.path.exists(os.path.join(out, "PWNED")), "nothing run by the shell")


def check_mbox(var, out, rep, original):
    e = rep["lists"][0]
    a = e["archive"]
    counts = a["counts"]
    check(counts["from-in-body"] == 1 and counts["separator-8bit"] == 1
          and counts["no-message-id"] == 1 and counts["bad-date"] == 1
          and counts["bad-charset"] == 1, "archive problems counted: %r" % counts)
    check(a["messages"] == 4, "4 messages (got %d)" % a["messages"])
    fixed = os.path.join(out, "odd", "odd.mbox")
    check(a["fixed_copy"] == fixed and os.path.exists(fixed), "the cleaned copy is written")
    check(open(os.path.join(var, "archives", "private", "odd.mbox", "odd.mbox"), "rb").read()
          == original, "the original mbox is untouched")
    if not os.path.exists(fixed):
        return
    box = mailbox.mbox(fixed, create=False)
    msgs = list(box)
    check(len(msgs) == 4, "Python's mailbox reads 4 messages from the copy (%d)" % len(msgs))
    for m in msgs:
        check(m["Message-ID"], "copy: %s has a Message-ID" % m["Subject"])
        check(email.utils.parsedate_tz(m["Date"] or "") is not None,
              "copy: %s has a readable Date (%r)" % (m["Subject"], m["Date"]))
        cs = m.get_content_charset() or "us-ascii"
        try:
            m.get_payload(decode=True).decode(cs)
            check(True, "body in its charset")
        except UnicodeDecodeError:
            fail("copy: %s: body not in %s" % (m["Subject"], cs))
    check(b">From here on it breaks" in open(fixed, "rb").read(), "the body line escaped")


def main():
    tmp = tempfile.mkdtemp(prefix="mmfix-mm3f-")
    try:
        var = copy_writable(SAMPLE, os.path.join(tmp, "var"))
        original = build_odd(var)
        out = os.path.join(tmp, "out")
        before = hashlib.sha256(open(os.path.join(var, "lists", "odd", "config.pck"),
                                     "rb").read()).hexdigest()
        # dry run: nothing written, exit 1
        rc, so, se = run("export-mm3", "-n", "-d", var, "--install-dir", SITE, "--out", out,
                         "odd", "es")
        check(rc == 1 and not os.path.exists(out), "a dry run writes nothing, exit 1 (%d)" % rc)
        check(b"would write" in so, "the dry run says what it would write")
        rc, so, se = run("export-mm3", "-d", var, "--install-dir", SITE, "--out", out,
                         "--fix-mbox", "odd", "es")
        check(rc == 0, "export-mm3 exits 0 (%d): %s" % (rc, se))
        rep = json.load(open(os.path.join(out, "report.json")))
        check([x["name"] for x in rep["lists"]] == ["odd", "es"], "report.json lists both")
        check(open(os.path.join(out, "report.txt"), "rb").read() == so,
              "report.txt holds the text report printed")
        check_config(out, rep)
        check_held(out, rep)
        check_script(tmp, out)
        check_mbox(var, out, rep, original)
        check(hashlib.sha256(open(os.path.join(var, "lists", "odd", "config.pck"),
                                  "rb").read()).hexdigest() == before,
              "the installation's config.pck is untouched")
        mode = stat.S_IMODE(os.stat(os.path.join(out, "odd", "config.pck")).st_mode)
        check(mode == 0o640, "config.pck is 0640 (member data; got %o)" % mode)
        # --json: the same document on stdout
        rc, so, se = run("export-mm3", "--json", "-d", var, "--install-dir", SITE, "--out",
                         os.path.join(tmp, "out2"), "es")
        check(rc == 0 and json.loads(so)["lists"][0]["name"] == "es", "--json report")
        # usage
        rc, so, se = run("export-mm3", "-d", var, "es")
        check(rc == 64 and "--out" in se, "--out is required (64)")
        rc, so, se = run("export-mm3", "-d", var, "--out", out)
        check(rc == 64, "lists or -a are required (64)")
        rc, so, se = run("export-mm3", "-d", var, "--out", out, "--mailman", "mailman; rm -rf /",
                         "es")
        check(rc == 64, "a --mailman command that needs a shell is refused (64)")
        rc, so, se = run("export-mm3", "--json", "-d", var, "--out", os.path.join(tmp, "o3"),
                         "--mailman", "/bin/false", "es")
        check(rc == 1 and "lists -q exited 1" in json.loads(so).get("mailman_error", ""),
              "a --mailman command that fails: exit 1, said in the report (%d)" % rc)
        rc, so, se = run("export-mm3", "-d", var, "--out", out, "nosuchlist")
        check(rc == 66, "a missing list: 66 (%d)" % rc)
        # Mailman 2.0 data is refused
        rc, so, se = run("export-mm3", "-d", os.path.join(CORPUS, "mm20-sample", "before"),
                         "--out", os.path.join(tmp, "out20"), "es")
        check(rc == 65 and "mmfix update" in se, "2.0 data refused (65): %s" % se)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
