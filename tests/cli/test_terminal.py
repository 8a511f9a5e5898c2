"""On a terminal the diff report is coloured (ANSI), never with NO_COLOR,
never into a pipe or file; the progress bar goes to stderr only on a
terminal (a pipe gets none), so reports on stdout stay clean."""
import os
import pty
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from corpus_util import FIXTURES, check, finish, mmfix_argv

VAR = os.path.join(FIXTURES, "mm21")
ARGS = mmfix_argv("repair", "-n", "-d", VAR, "roster-mess")


def on_tty(env):
    """run ARGS with stdout on a pseudo-terminal; what it printed there"""
    master, slave = pty.openpty()
    p = subprocess.Popen(ARGS, stdout=slave, stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait()
    os.close(master)
    return p.returncode, out


env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
rc, out = on_tty(env)
check(rc == 1, "dry run with changes exits 1 on a terminal too (%d)" % rc)
check(b"\x1b[32m+" in out and b"\x1b[31m-" in out and b"\x1b[1m--- lists/" in out,
      "the report is coloured on a terminal: %r" % out[:200])
rc, out = on_tty(dict(env, NO_COLOR="1"))
check(b"\x1b[" not in out, "NO_COLOR: no colour on a terminal")
p = subprocess.run(ARGS, capture_output=True, env=env)
check(b"\x1b[" not in p.stdout and b"\x1b[" not in p.stderr and b"\r" not in p.stderr,
      "into a pipe: no colour and no progress bar")

finish()
