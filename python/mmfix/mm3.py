"""Checks for the Mailman 3 export that need Python's own re module.

Mailman 3's import21 skips a header_filter_rules line whose pattern
re.compile() refuses; mmfix names those lines in its report, so it asks the
same re.  Patterns are compiled, never matched against anything.
"""

import json
import re

__all__ = ['bad_patterns']

MAX_PATTERNS = 100000
MAX_PATTERN_CHARS = 64 * 1024


def bad_patterns(arg):
    """arg: a JSON list of patterns; the indices of those re cannot compile
    (and of any beyond the limits, which mmfix does not try)."""
    patterns = json.loads(arg)
    bad = []
    for i, p in enumerate(patterns):
        if i >= MAX_PATTERNS or not isinstance(p, str) or len(p) > MAX_PATTERN_CHARS:
            bad.append(i)
            continue
        try:
            re.compile(p)
        except Exception:       # re.error, RecursionError, OverflowError, ...
            bad.append(i)
    return bad
