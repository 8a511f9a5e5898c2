#!/usr/bin/python3
"""mkhostile - write the hostile and corrupt pickles of fixtures/hostile/.

Every pickle is spelled out as opcode bytes (nothing here calls pickle.dumps
on a live object), so the fixtures stay the same whatever Python runs this.
A pickle that would run a command runs `touch /tmp/mmfix-pwned-fixture`:
tests check that file never appears.

Writes EXPECTED beside the pickles: one line per file, "NAME KIND" where KIND
is the enum load_error name pyload_unpickle must report (ok, corrupt,
refused, too-large).

Usage: tests/tools/mkhostile.py [OUTDIR]   (default: fixtures/hostile)
"""

import os
import random
import sys

PWN = b"touch /tmp/mmfix-pwned-fixture"


def s0(b):
    """Protocol 0 STRING of bytes b (no quotes or backslashes in b)."""
    return b"S'" + b + b"'\n"


def v0(text):
    """Protocol 0 UNICODE of ASCII text."""
    return b"V" + text + b"\n"


def sbs(b):
    """SHORT_BINSTRING."""
    return b"U" + bytes([len(b)]) + b


def glob(module, name):
    return b"c" + module + b"\n" + name + b"\n"


def call(module, name, *args):
    """GLOBAL module.name, MARK args TUPLE, REDUCE."""
    return glob(module, name) + b"(" + b"".join(args) + b"tR"


CASES = []


def case(name, kind, data):
    CASES.append((name, kind, data))


# --- globals that run code -------------------------------------------------
case("os_system.pck", "refused", call(b"os", b"system", s0(PWN)) + b".")
case("posix_system.pck", "refused", call(b"posix", b"system", s0(PWN)) + b".")
case("eval.pck", "refused",
     call(b"__builtin__", b"eval", s0(b"__import__('os').system('" + PWN + b"')")) + b".")
case("builtins_exec.pck", "refused",
     call(b"builtins", b"exec", s0(b"import os; os.system('" + PWN + b"')")) + b".")
case("subprocess_popen.pck", "refused",
     call(b"subprocess", b"Popen", b"(" + s0(b"touch") + s0(b"/tmp/mmfix-pwned-fixture") + b"l")
     + b".")
# getattr(__import__('os'), 'system')('touch ...')
case("getattr_chain.pck", "refused",
     b"c__builtin__\ngetattr\n(" + call(b"__builtin__", b"__import__", s0(b"os"))
     + s0(b"system") + b"tR(" + s0(PWN) + b"tR.")
case("builtins_getattr.pck", "refused",
     b"cbuiltins\ngetattr\n(" + call(b"builtins", b"__import__", s0(b"os"))
     + s0(b"system") + b"tR(" + s0(PWN) + b"tR.")
case("codecs_encode.pck", "refused",
     call(b"_codecs", b"encode", v0(b"x"), s0(b"latin1")) + b".")
case("copyreg_reconstructor.pck", "refused",
     call(b"copy_reg", b"_reconstructor", glob(b"Mailman.Bouncer", b"_BounceInfo"),
          glob(b"__builtin__", b"object"), b"N") + b".")
case("copyreg3_reconstructor.pck", "refused",
     call(b"copyreg", b"_reconstructor", glob(b"Mailman.Bouncer", b"_BounceInfo"),
          glob(b"builtins", b"object"), b"N") + b".")
# protocol 0 INST of os.system: the argument is on the stack above the MARK
case("inst_os_system.pck", "refused", b"(" + s0(PWN) + b"ios\nsystem\n.")
# protocol 1 OBJ of os.system
case("obj_os_system.pck", "refused", b"(" + glob(b"os", b"system") + sbs(PWN) + b"o.")
# a global used as a plain value is refused too
case("global_value.pck", "refused", b"}(U\x01x" + glob(b"os", b"system") + b"u.")

# --- calls on an allowed class -----------------------------------------------
case("reduce_allowed.pck", "refused",
     call(b"Mailman.Bouncer", b"_BounceInfo", s0(b"a@b.c"), b"I1\n") + b".")
case("newobj_allowed.pck", "refused",
     b"\x80\x02" + glob(b"Mailman.Bouncer", b"_BounceInfo") + b")\x81}b.")
case("newobj_allowed_args.pck", "refused",
     b"\x80\x02" + glob(b"Mailman.UserDesc", b"UserDesc") + sbs(b"x") + b"\x85\x81.")
case("newobj_os_system.pck", "refused",
     b"\x80\x02" + glob(b"os", b"system") + sbs(PWN) + b"\x85\x81.")
# INST / OBJ of an allowed class with arguments: that calls the class (the C
# check lets the GLOBAL through; the unpickler's stub refuses the call)
case("inst_allowed_args.pck", "refused",
     b"(" + s0(b"x") + b"iMailman.UserDesc\nUserDesc\n.")
case("obj_allowed_args.pck", "refused",
     b"(" + glob(b"Mailman.Bouncer", b"_BounceInfo") + sbs(b"x") + b"o.")
# BUILD on an object whose class has __setstate__ (refused at its global)
case("build_setstate.pck", "refused",
     b"(" + glob(b"collections", b"OrderedDict") + b"o]b.")
# BUILD that plants '__setstate__' in a stub's __dict__ and BUILDs again: the
# second BUILD must not find it (nothing is called); the class object left in
# the state is no data, so the load still fails
case("build_setstate_planted.pck", "corrupt",
     b"(" + glob(b"Mailman.Bouncer", b"_BounceInfo") + b"o}(" + v0(b"__setstate__")
     + glob(b"Mailman.Bouncer", b"_BounceInfo") + b"ub}b.")

# --- persistent ids, extension codes, newer protocols ------------------------
case("persid.pck", "refused", b"P" + PWN + b"\n.")
case("binpersid.pck", "refused", sbs(PWN) + b"Q.")
case("ext1.pck", "refused", b"\x80\x02\x82\x01.")
case("ext2.pck", "refused", b"\x80\x02\x83\x01\x01.")
case("ext4.pck", "refused", b"\x80\x02\x84\x01\x01\x01\x00.")
# STACK_GLOBAL (protocol 4) with its operands made by protocol 0 opcodes
case("stack_global.pck", "refused", b"Vos\nVsystem\n\x93(" + s0(PWN) + b"tR.")
case("stack_global_proto4.pck", "corrupt",
     b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(PWN)]) + PWN + b"\x85R.")
case("protocol3.pck", "corrupt", b"\x80\x03C\x03abcq\x00.")
case("protocol9.pck", "corrupt", b"\x80\x09N.")
# a protocol 5 opcode whose length runs past the end: the unpickler would
# allocate that length before reading (found by tests/fuzz/fuzz_pickle.c)
case("bytearray8_huge.pck", "corrupt", b"(l\x960\nS'qa'\np0\nai1\na.")
case("binbytes8_huge.pck", "corrupt", b"\x8e\xff\xff\xff\xff\xff\xff\x00\x00.")

# --- corrupt data -------------------------------------------------------------
good = (b"(dp0\nS'real_name'\np1\nS'Test'\np2\nsS'members'\np3\n(dp4\n"
        b"S'ana@example.org'\np5\nI0\nssS'digest_members'\np6\n(dp7\ns.")
case("truncated.pck", "corrupt", good[: len(good) // 2])
case("truncated_binstring.pck", "corrupt", b"}q\x00U\x05real_q\x01T\xff\x00\x00\x00abc")
rnd = random.Random(20240601)
case("garbage.pck", "corrupt", b"x" + bytes(rnd.randrange(256) for _ in range(512)))
case("empty.pck", "corrupt", b"")
case("negative_binstring.pck", "corrupt", b"T\xff\xff\xff\xff.")
case("bad_int.pck", "corrupt", b"I12abc\n.")
case("stack_underflow.pck", "corrupt", b"a.")
case("get_missing.pck", "corrupt", b"h\x05.")
case("cycle.pck", "corrupt", b"]q\x00h\x00a.")
case("cycle_dict.pck", "corrupt", b"}q\x00U\x04selfh\x00s.")

# --- limits ---------------------------------------------------------------------
N = 100000
case("deep_list.pck", "too-large", b"]" * N + b"a" * (N - 1) + b".")
case("deep_mark.pck", "too-large", b"(" * N + b"l" * N + b".")
case("deep_tuple.pck", "too-large", b")" + b"\x85" * N + b".")
case("huge_memo.pck", "too-large", b"]r\xff\xff\xff\x7f.")
case("huge_put.pck", "too-large", b"]p99999999999\n.")
# PUT/GET arguments Python's int() reads but Python 2 never writes: blanks before the digits
# made the C check read index 0 while the unpickler grew its memo table to 10**12 entries
# (found by tests/fuzz/fuzz_pickle.c)
case("put_blank_huge.pck", "corrupt", b"]p\t999999999999\n.")
case("put_sign.pck", "corrupt", b"]p+5\n.")
case("get_underscore.pck", "corrupt", b"]p0\ng0_0\n.")

# --- loads, but is not what a config.pck must be ----------------------------------
case("not_dict.pck", "ok", b"(lp0\nS'a'\np1\naI1\na.")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(
        os.path.join(here, "..", "..", "fixtures", "hostile"))
    os.makedirs(out, exist_ok=True)
    lines = []
    for name, kind, data in CASES:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        lines.append("%s %s\n" % (name, kind))
    with open(os.path.join(out, "EXPECTED"), "w") as f:
        f.write("# NAME KIND: what pyload_unpickle reports (written by tests/tools/mkhostile.py)\n")
        f.writelines(lines)
    print("wrote %d pickles to %s" % (len(CASES), out))


if __name__ == "__main__":
    main()
