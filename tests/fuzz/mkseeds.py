#!/usr/bin/python3
"""mkseeds - write the small hand-made seeds of tests/fuzz/seeds/<target>/.

Every seed is made here from invented data (nothing is copied from the
corpus), so the committed files stay small and the same whatever runs this.
The plain build replays them under ctest (fuzz/replay_<target>); run_fuzz.sh
adds them to the seed corpus it collects at run time from fixtures/ and
../shared/corpus.

Usage: tests/fuzz/mkseeds.py [OUTDIR]     (default: tests/fuzz/seeds)
"""

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import py2marshal  # noqa: E402
import py2pickle  # noqa: E402
from py2pickle import Inst, Long  # noqa: E402


def config():
    """a small 2.1 list configuration with every kind of value real data holds"""
    shared = [b"owner@example.org"]
    bounce = Inst("Mailman.Bouncer _BounceInfo",
                  {b"member": b"ana@example.org", b"score": 1.0, b"date": (2024, 1, 2),
                   b"noticesleft": 3, b"lastnotice": (1970, 1, 1), b"cookie": None})
    return {
        b"real_name": b"Test", b"description": u"caf\u00e9 \u00fcber".encode("latin-1"),
        b"info": u"unicode \u20ac text", b"members": {b"ana@example.org": 0, b"bob@x.net": 1},
        b"digest_members": {}, b"owner": shared, b"moderator": shared,
        b"bounce_info": {b"ana@example.org": bounce}, b"data_version": 112,
        b"created_at": 1700000000.25, b"big": Long(2 ** 70), b"neg": -5, b"flag": True,
        b"topics": [(b"t", b"^x.*", b"desc", False)], b"none": None, b"empty": (),
        b"max_message_size": 40, b"nested": [[[{b"k": (1, 2.5, u"v")}]]],
    }


def pending():
    """a pending.pck as Mailman writes it (protocol 0): INST of UserDesc"""
    ud = Inst("Mailman.UserDesc UserDesc", {b"address": b"new@example.org",
                                            b"fullname": u"N\u00e9w", b"password": b"pw",
                                            b"digest": 0, b"language": b"es"})
    return {b"evtime": {b"cookie": 1700000000.5}, b"cookie": (b"S", ud), b"version": 2}


def tjson_doc():
    """a typed JSON document using every tag"""
    return {"format": "mmfix-typed-json/1", "list": "test", "charset": "iso-8859-1",
            "config": {
                "real_name": "Test", "text": "caf\u00e9", "u": {"$unicode": "\u20ac"},
                "b": {"$bytes": "/wD+"}, "t": {"$tuple": [1, None, True]},
                "l": {"$long": "123456789012345678901234567890"},
                "f": [{"$float": "nan"}, {"$float": "inf"}, {"$float": "-inf"}, 1.5, -0.0],
                "d": {"$dict": [[1, "one"], [{"$tuple": ["a", 2]}, []]]},
                "surrogate": {"$unicode_utf8b": "7aCA"},
                "bi": {"$instance": "Mailman.Bouncer._BounceInfo",
                       "$state": {"member": "a@example.org", "score": 1.0}},
                "members": {"a@example.org": 0}, "big": 9007199254740993}}


SITE_DEFAULTS = b"""# a small Defaults.py in Mailman's dialect
import os
True = 1
PREFIX = '/usr/lib/mailman'
VAR_PREFIX = '/var/lib/mailman'
EXEC_PREFIX = PREFIX
DATA_DIR = os.path.join(VAR_PREFIX, 'data')
LOCK_DIR = os.path.join(VAR_PREFIX, 'locks')
WRAPPER_DIR = os.path.join(EXEC_PREFIX, 'mail')
DEFAULT_URL_PATTERN = 'http://%s/mailman/'
VIRTUAL_HOSTS = {}
def add_virtualhost(urlhost, emailhost=None):
    pass
def hours(h): return h * 3600
LIST_LOCK_LIFETIME = hours(5)
LC_DESCRIPTIONS = {}
def add_language(code, description, charset, direction='ltr'):
    LC_DESCRIPTIONS[code] = (description, charset, direction)
add_language('en', 'English (USA)', 'us-ascii')
add_language('es', 'Spanish (Spain)', 'iso-8859-1')
MTA = 'Manual'
print 'a Python 2 statement'
"""

SITE_MM_CFG = b"""from Defaults import *
DEFAULT_URL_HOST = 'www.example.org'
DEFAULT_EMAIL_HOST = 'example.org'
add_virtualhost(DEFAULT_URL_HOST, DEFAULT_EMAIL_HOST)
add_virtualhost('lists.example.net', 'example.net')
POSTFIX_STYLE_VIRTUAL_DOMAINS = ['example.net']
MTA = 'Postfix'
os.system('touch /tmp/never')
"""


def qentry(pickled, db, msg):
    """the fuzz_qfiles layout: flags, the .db length (LE16), the .db, the message"""
    return bytes([1 if pickled else 0]) + struct.pack("<H", len(db)) + db + msg


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "seeds")
    seeds = {}
    cfg = config()
    for v in (0, 1, 2):
        seeds["marshal/config-v%d.db" % v] = py2marshal.dumps(
            {k: val for k, val in cfg.items() if k not in (b"bounce_info", b"info")}, version=v)
    p1 = py2pickle.dumps(cfg, protocol=1)
    p0 = py2pickle.dumps(pending(), protocol=0)
    for target in ("pickle", "pickleplay", "roundtrip"):
        seeds["%s/config-p1.pck" % target] = p1
        seeds["%s/pending-p0.pck" % target] = p0
    seeds["tjson/every-tag.json"] = json.dumps(tjson_doc(), indent=1).encode()
    seeds["site/defaults-mm_cfg"] = SITE_DEFAULTS + b"\0" + SITE_MM_CFG
    seeds["site/defaults-only"] = SITE_DEFAULTS
    meta20 = py2marshal.dumps({b"listname": b"es", b"version": 2, b"filebase": b"ab12",
                               b"tolist": 1}, version=0)
    meta21 = py2marshal.dumps({b"listname": b"es", b"version": 3,
                               b"received_time": b"975000100.5", b"_plaintext": 1,
                               b"rejection-notice": b"no"}, version=1)
    text = b"From a@example.org  Tue Nov 21 10:00:00 2000\nFrom: a@example.org\n\nhi\n"
    msg = py2pickle.dumps(Inst("Mailman.Message Message",
                               {b"_headers": [(b"From", b"a@example.org")],
                                b"_payload": b"hi\n", b"_charset": None}), protocol=1)
    seeds["qfiles/text-20.bin"] = qentry(False, meta20, text)
    seeds["qfiles/pickled-21.bin"] = qentry(True, meta21, msg)
    for rel, data in sorted(seeds.items()):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
