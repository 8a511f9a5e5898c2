#!/usr/bin/python3
"""collect_seeds - the seed corpus of one fuzz target, gathered at run time.

Copies (never links) into OUTDIR the inputs that suit TARGET from fixtures/,
from the shared corpus of real Mailman data (../shared/corpus, or
$MMFIX_CORPUS) and from tests/fuzz/seeds/<target> and
tests/fuzz/regressions/<target>. libFuzzer writes new inputs into its corpus
directory, so the seeds must be copies in a scratch directory: nothing here
ever writes into the repository or the shared corpus.

  marshal             every *.db* file (2.0 config.db, pending, queue metadata)
  pickle, pickleplay,
  roundtrip           every *.pck* file (config, request, pending, held
                      messages, queue entries; fixtures/hostile)
  tjson               fixtures/expected/cli/*.json, and with --mmfix BIN the
                      typed JSON BIN convert makes of every fixture list file
  site                Mailman/Defaults.py + NUL + Mailman/mm_cfg.py of every
                      fixture site and the corpus site
  qfiles              every .db of fixtures/qfiles20 with its .msg or .pck, in
                      fuzz_qfiles' layout

Usage: collect_seeds.py TARGET OUTDIR [--mmfix BIN]
"""

import glob
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(TOP, "fixtures")
CORPUS = os.environ.get("MMFIX_CORPUS") or os.path.normpath(os.path.join(TOP, "..", "shared",
                                                                          "corpus"))
MAX_SEED = 1 << 20


def files(pattern):
    out = []
    for root in (FIXTURES, CORPUS):
        out += [p for p in glob.glob(os.path.join(root, "**", pattern), recursive=True)
                if os.path.isfile(p) and not os.path.islink(p)
                and os.path.getsize(p) <= MAX_SEED]
    return sorted(out)


def site_seeds():
    for d in sorted(glob.glob(os.path.join(FIXTURES, "*", "Mailman"))
                    + [os.path.join(CORPUS, "site", "Mailman")]):
        dflt = os.path.join(d, "Defaults.py")
        if not os.path.isfile(dflt):
            continue
        data = open(dflt, "rb").read()
        cfg = os.path.join(d, "mm_cfg.py")
        if os.path.isfile(cfg):
            data += b"\0" + open(cfg, "rb").read()
        yield os.path.basename(os.path.dirname(d)), data


def qfiles_seeds():
    for db in sorted(glob.glob(os.path.join(FIXTURES, "qfiles20", "**", "*.db"), recursive=True)):
        base = db[:-3]
        meta = open(db, "rb").read()[:0xffff]
        for ext, flag in ((".msg", 0), (".pck", 1)):
            if os.path.isfile(base + ext):
                yield (os.path.basename(base) + ext,
                       bytes([flag]) + struct.pack("<H", len(meta)) + meta
                       + open(base + ext, "rb").read())


def tjson_seeds(mmfix):
    for p in files("*.json"):
        yield os.path.basename(p), open(p, "rb").read()
    if mmfix is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        for p in files("config.pck") + files("config.db"):
            if subprocess.run([mmfix, "convert", "--to", "json", p, out],
                              capture_output=True).returncode == 0:
                yield p.replace("/", "_"), open(out, "rb").read()


def main():
    args = sys.argv[1:]
    mmfix = None
    if "--mmfix" in args:
        i = args.index("--mmfix")
        mmfix = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    target, outdir = args
    os.makedirs(outdir, exist_ok=True)
    seeds = []
    if target == "marshal":
        seeds = [(p, open(p, "rb").read()) for p in files("*.db*")]
    elif target in ("pickle", "pickleplay", "roundtrip"):
        seeds = [(p, open(p, "rb").read()) for p in files("*.pck*")]
    elif target == "tjson":
        seeds = list(tjson_seeds(mmfix))
    elif target == "site":
        seeds = list(site_seeds())
    elif target == "qfiles":
        seeds = list(qfiles_seeds())
    else:
        sys.exit("collect_seeds: unknown target %s" % target)
    for sub in ("seeds", "regressions"):
        for p in sorted(glob.glob(os.path.join(HERE, sub, target, "*"))):
            seeds.append((sub + "-" + os.path.basename(p), open(p, "rb").read()))
    for i, (name, data) in enumerate(seeds):
        with open(os.path.join(outdir, "seed%04d" % i), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (target, len(seeds)))


if __name__ == "__main__":
    main()
