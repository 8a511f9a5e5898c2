"""cmake --install puts the binary, its Python helpers, the man page and the
bash completion under a prefix; the installed mmfix finds its helpers there
(no MMFIX_PYTHON_DIR) and reads a list; the completion offers the commands,
the options of a command and the lists of the installation."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, MMFIX, check, finish, mmfix_argv

build = os.path.dirname(MMFIX)
with tempfile.TemporaryDirectory() as tmp:
    prefix = os.path.join(tmp, "usr")
    p = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True)
    check(p.returncode == 0, "cmake --install works (%s)" % p.stderr.decode(errors="replace"))
    binary = os.path.join(prefix, "bin", "mmfix")
    for rel in ("bin/mmfix", "share/man/man1/mmfix.1", "share/mmfix/python/mmfix/site.py",
                "share/bash-completion/completions/mmfix"):
        check(os.path.exists(os.path.join(prefix, rel)), "installed: %s" % rel)
    env = {k: v for k, v in os.environ.items() if k != "MMFIX_PYTHON_DIR"}
    p = subprocess.run(mmfix_argv("--version", binary=binary), capture_output=True, env=env)
    check(p.returncode == 0 and p.stdout.startswith(b"mmfix "), "installed mmfix --version")
    # the installed binary unpickles through its installed helpers
    env_nopy = dict(env, PATH="/usr/bin:/bin")
    p = subprocess.run(mmfix_argv("show", "-d", os.path.join(FIXTURES, "mm21"), "--attr",
                                  "real_name", "cs", binary=binary), capture_output=True,
                       env=env_nopy)
    check(p.returncode == 0 and b"'Cs'" in p.stdout,
          "installed mmfix reads a list (%d %s)" % (p.returncode, p.stderr.decode()))
    # the completion, in bash
    comp = os.path.join(prefix, "share/bash-completion/completions/mmfix")

    def complete(*words):
        line = " ".join(words)
        script = ('source "%s"; COMP_WORDS=(%s); COMP_CWORD=%d; _mmfix; '
                  'printf "%%s\\n" "${COMPREPLY[@]}"'
                  % (comp, " ".join("'%s'" % w for w in words), len(words) - 1))
        out = subprocess.run(["bash", "-c", script], capture_output=True, env=env)
        return out.stdout.decode().split()

    check(set(complete("mmfix", "re")) == {"repair", "rename"}, "commands: %s"
          % complete("mmfix", "re"))
    check("--url-host" in complete("mmfix", "fix-url", "--u"), "fix-url's options")
    lists = complete("mmfix", "repair", "-d", os.path.join(FIXTURES, "mm21"), "c")
    check("cs" in lists, "list names of the installation: %s" % lists)
    check("--lock-timeout" in complete("mmfix", "update", "--lo"), "update's options")

# every command mmfix --help lists has its own --help, and the completion knows it
p = subprocess.run(mmfix_argv("--help"), capture_output=True)
names = [line.split()[0] for line in p.stdout.decode().splitlines()
         if line.startswith("  ") and not line.startswith("   ")]
check(len(names) >= 12, "mmfix --help lists the commands: %s" % names)
for name in names:
    p = subprocess.run(mmfix_argv(name, "--help"), capture_output=True)
    check(p.returncode == 0 and p.stdout.startswith(b"usage: mmfix %s " % name.encode()),
          "mmfix %s --help (%d)" % (name, p.returncode))
    check(name in open(os.path.join(os.path.dirname(__file__), "..", "..", "doc",
                                    "mmfix.bash-completion")).read(),
          "the completion offers %s" % name)
    check(("\\-".join(name.split("-"))) in open(os.path.join(
        os.path.dirname(__file__), "..", "..", "doc", "mmfix.1")).read(),
          "the man page covers %s" % name)

finish()
