#!/usr/bin/env python3
"""mm_lockfile - Mailman 2.1's LockFile protocol, independently in Python 3.

Written from the protocol description in the project's reference notes
(mailman2-facts.md, section 1.7), not from Mailman's code. The unit tests of
src/lockfile.c use it as "the other side" to show that mmfix and a running
Mailman exclude each other on the same lock file.

Protocol, as implemented here:
  * the claimant temp file is <lockfile>.<hostname>.<pid>.<counter>, written
    under umask 002, and holds its own path as its only content;
  * its atime and mtime are set to now + lifetime (the mtime is the expiry);
  * link(tmp, lockfile) takes the lock; EEXIST with link count 2 and our own
    path in the lock file means we hold it already; ENOENT is retried;
  * with a timeout, giving up unlinks the temp file;
  * a lock whose mtime + CLOCK_SLOP (10 s) is in the past is broken: touch
    it, read the claimant's temp path, unlink the lock, unlink that path;
  * between attempts sleep a random 0.01 .. 0.01 + max_sleep seconds
    (Mailman: max_sleep 2);
  * locked() touches our temp file and then requires link count 2 and our
    path as the lock's content; unlock() removes the lock if it is ours,
    then our temp file.

Command line (for the tests):
  mm_lockfile.py hold LOCK [--lifetime S] [--seconds S] [--timeout S]
      take the lock, print "locked <tmpfile>", hold it until a line arrives
      on stdin or S seconds have passed, release it, print "released".
  mm_lockfile.py try LOCK [--timeout S] [--lifetime S] [--max-sleep S]
      try to take the lock; exit 0 (and release it) on success, 2 on a
      timeout, 1 on other errors.
"""

import argparse
import errno
import os
import random
import select
import socket
import sys
import time

CLOCK_SLOP = 10


class LockError(Exception):
    """Base of the lock errors."""


class AlreadyLockedError(LockError):
    """We hold this lock already."""


class NotLockedError(LockError):
    """unlock() of a lock we do not hold."""


class TimeOutError(LockError):
    """The lock could not be taken within the timeout."""


class LockFile:
    """One claimant of a Mailman 2.1 lock file."""

    _counter = 0

    def __init__(self, lockfile, lifetime=15, max_sleep=2.0):
        self.lockfile = lockfile
        self.lifetime = lifetime
        self.max_sleep = max_sleep
        LockFile._counter += 1
        self.tmpfname = '%s.%s.%d.%d' % (lockfile, socket.gethostname(),
                                         os.getpid(), LockFile._counter)

    def _set_expiry(self, path=None):
        when = time.time() + self.lifetime
        os.utime(path or self.tmpfname, (when, when))

    def _claimant(self):
        try:
            with open(self.lockfile) as fp:
                return fp.read()
        except OSError:
            return None

    def _nlink(self):
        try:
            return os.stat(self.lockfile).st_nlink
        except FileNotFoundError:
            return -1

    def _expiry(self):
        try:
            return os.stat(self.lockfile).st_mtime
        except FileNotFoundError:
            return -1

    def _break(self):
        try:
            self._set_expiry(self.lockfile)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOENT):
                raise
        winner = self._claimant()
        try:
            os.unlink(self.lockfile)
        except FileNotFoundError:
            pass
        if winner:
            try:
                os.unlink(winner)
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.EISDIR):
                    raise

    def _nap(self):
        time.sleep(random.uniform(0.01, 0.01 + self.max_sleep))

    def lock(self, timeout=0):
        """Take the lock; timeout 0 waits forever (as Mailman)."""
        deadline = time.time() + timeout if timeout else None
        saved = os.umask(0o002)
        try:
            with open(self.tmpfname, 'w') as fp:
                fp.write(self.tmpfname)
        finally:
            os.umask(saved)
        self._set_expiry()
        while True:
            try:
                os.link(self.tmpfname, self.lockfile)
                self._set_expiry()
                return
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    pass
                elif exc.errno != errno.EEXIST:
                    os.unlink(self.tmpfname)
                    raise
                elif self._nlink() == 2 and self._claimant() == self.tmpfname:
                    raise AlreadyLockedError(self.lockfile)
            if deadline is not None and deadline < time.time():
                os.unlink(self.tmpfname)
                raise TimeOutError(self.lockfile)
            if self._expiry() + CLOCK_SLOP < time.time():
                self._break()
            self._nap()

    def locked(self):
        """True while we hold the lock (extends our expiry)."""
        try:
            self._set_expiry()
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.ENOENT):
                return False
            raise
        return self._nlink() == 2 and self._claimant() == self.tmpfname

    def refresh(self, lifetime=None):
        """Push the expiry; NotLockedError if the lock is lost."""
        if lifetime is not None:
            self.lifetime = lifetime
        if not self.locked():
            raise NotLockedError(self.lockfile)

    def unlock(self, unconditionally=False):
        """Release the lock (if ours) and remove our temp file."""
        held = self.locked()
        if not held and not unconditionally:
            raise NotLockedError(self.lockfile)
        if held:
            try:
                os.unlink(self.lockfile)
            except FileNotFoundError:
                pass
        try:
            os.unlink(self.tmpfname)
        except FileNotFoundError:
            pass


def cmd_hold(args):
    lk = LockFile(args.lock, lifetime=args.lifetime, max_sleep=args.max_sleep)
    lk.lock(timeout=args.timeout)
    print('locked', lk.tmpfname, flush=True)
    if args.seconds is not None:
        end = time.time() + args.seconds
        while True:
            left = end - time.time()
            if left <= 0:
                break
            ready, _, _ = select.select([sys.stdin], [], [], left)
            if ready:
                break
    else:
        sys.stdin.readline()
    lk.unlock(unconditionally=True)
    print('released', flush=True)
    return 0


def cmd_try(args):
    lk = LockFile(args.lock, lifetime=args.lifetime, max_sleep=args.max_sleep)
    try:
        lk.lock(timeout=args.timeout)
    except TimeOutError:
        print('timeout', flush=True)
        return 2
    print('locked', lk.tmpfname, flush=True)
    lk.unlock()
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name in ('hold', 'try'):
        sp = sub.add_parser(name)
        sp.add_argument('lock')
        sp.add_argument('--lifetime', type=float, default=15)
        sp.add_argument('--timeout', type=float, default=0)
        sp.add_argument('--max-sleep', type=float, default=2.0)
        if name == 'hold':
            sp.add_argument('--seconds', type=float, default=None)
    args = ap.parse_args(argv)
    try:
        return cmd_hold(args) if args.cmd == 'hold' else cmd_try(args)
    except (OSError, LockError) as exc:
        print('error: %s' % exc, file=sys.stderr, flush=True)
        return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
