"""Mailman 2 site settings, read without executing them.

read_site(install_dir, files) evaluates <install_dir>/Mailman/Defaults.py,
Version.py and mm_cfg.py and returns the settings they bind as plain Python
values.  This module opens no file: the C side reads the three files (its
one bounded reader, which refuses a FIFO, socket, directory or device in
their place) and hands over their bytes in `files`.
These files are Python 2 source and a site's own code: nothing of them is
ever executed, imported, compiled or passed to eval.  Each file is split
into top-level statements here (logical lines: backslash continuations,
open brackets, string literals of every kind; indented lines belong to the
compound statement above them), a few Python 2 spellings are rewritten
outside string literals (octal 02775, long 10L, ur'' prefixes, <>), and
each statement is given to ast.parse on its own.  A small evaluator then
walks the tree and knows only: literals, tuples, lists, dicts, names already
bound, unary minus/plus/not, + - * / // % | & ^ << >>, comparisons and and/or (for
`if` tests), subscripts of bound values, and the calls os.path.join,
add_virtualhost, add_language, _(), seconds/minutes/hours/days, dict(),
and append/extend/clear/update/insert/remove on bound lists and dicts.
Everything else is skipped with a warning naming file and line.

Results are bounded: strings, containers, integers and the total size of
every value are capped, so a hostile mm_cfg.py cannot make the evaluator
allocate without limit.
"""

import ast
import copy
import errno
import os
import re

__all__ = ['read_site', 'read_files']

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_STATEMENT_CHARS = 256 * 1024
MAX_STR = 1024 * 1024
MAX_WEIGHT = 200000          # scalars + container items, counted as a tree
MAX_INT_BITS = 256
MAX_DEPTH = 60               # evaluator recursion
MAX_WARNINGS = 500
SNIPPET = 60

# Helper functions Defaults.py defines and the evaluator implements itself:
# their `def` is skipped silently.
KNOWN_DEFS = frozenset(['seconds', 'minutes', 'hours', 'days',
                        'add_virtualhost', 'add_language', '_'])

_STR_PREFIX = re.compile(r'(?<![A-Za-z0-9_])([uUbBrR]{1,2})$')
_LONG = re.compile(r'(?<![\w.])(0[xX][0-9a-fA-F]+|\d+)[lL](?![\w.])')
_OCTAL = re.compile(r'(?<![\w.])0([0-7]+)(?![\w.])')
_BAD_FORMAT = re.compile(r'%[^a-zA-Z%]*?(\*|\d{4,})')


class Skip(Exception):
    """A statement (or part of it) that cannot be evaluated safely."""


# --------------------------------------------------------------------------
# splitting a Python 2 file into statements

def _convert_code(seg):
    """Rewrite Python 2 spellings in a code segment (no string literals)."""
    seg = _LONG.sub(r'\1', seg)
    seg = _OCTAL.sub(r'0o\1', seg)
    return seg.replace('<>', '!=')


def _logical_lines(text):
    """Yield (first line number, indent width, converted text, first raw
    line) for each logical line that holds code."""
    i = 0
    n = len(text)
    line = 1
    while i < n:
        start_line = line
        # indentation of the first physical line
        j = i
        while j < n and text[j] in ' \t\f':
            j += 1
        indent = j - i
        out = [text[i:j]]  # converted pieces, from the indentation on
        code = []         # current code segment (unconverted)
        depth = 0
        has_code = False
        raw_start = i
        k = j
        while k < n:
            c = text[k]
            if c == '#':
                while k < n and text[k] != '\n':
                    k += 1
                continue
            if c == '\\' and k + 1 < n and text[k + 1] == '\n':
                code.append(' ')
                k += 2
                line += 1
                continue
            if c == '\n':
                line += 1
                k += 1
                if depth > 0:
                    code.append('\n')
                    continue
                break
            if c in '\'"':
                has_code = True
                pre = ''.join(code)
                m = _STR_PREFIX.search(pre)
                if m is not None and m.group(1).lower() in ('ur', 'ru'):
                    pre = pre[:m.start(1)] + 'r'
                out.append(_convert_code(pre))
                code = []
                triple = text[k:k + 3] in ("'''", '"""')
                q = text[k:k + 3] if triple else c
                s = k + len(q)
                while s < n:
                    if text[s] == '\\':
                        if s + 1 < n and text[s + 1] == '\n':
                            line += 1
                        s += 2
                        continue
                    if text.startswith(q, s):
                        s += len(q)
                        break
                    if text[s] == '\n':
                        if not triple:
                            break        # unterminated: let ast complain
                        line += 1
                    s += 1
                s = min(s, n)
                out.append(text[k:s])
                k = s
                continue
            if c in '([{':
                depth += 1
            elif c in ')]}':
                depth = max(0, depth - 1)
            if not c.isspace():
                has_code = True
            code.append(c)
            k += 1
        out.append(_convert_code(''.join(code)))
        i = k
        if has_code:
            raw = text[raw_start:k].split('\n', 1)[0].strip()
            yield start_line, indent, ''.join(out), raw


_CONTINUATIONS = ('else', 'elif', 'except', 'finally')


def _statements(text):
    """Group logical lines into top-level statements:
    [(line, source text, first raw line)]."""
    stmts = []
    for lineno, indent, src, raw in _logical_lines(text):
        word = re.match(r'\s*([A-Za-z_]\w*)', src)
        word = word.group(1) if word else ''
        if stmts and (indent > 0 or word in _CONTINUATIONS):
            stmts[-1][1].append(src if indent > 0 else src.lstrip())
            continue
        stmts.append((lineno, [src.lstrip()], raw))
    return [(ln, '\n'.join(parts) + '\n', raw) for ln, parts, raw in stmts]


# --------------------------------------------------------------------------
# evaluation

def _weight(v, budget=MAX_WEIGHT, depth=0):
    """Size of v as a tree (shared parts counted each time), stopping once
    the budget is exceeded."""
    if depth > 50:
        raise Skip('value nested too deeply')
    if isinstance(v, (list, tuple)):
        w = 1
        for x in v:
            w += _weight(x, budget - w, depth + 1)
            if w > budget:
                raise Skip('value too large')
        return w
    if isinstance(v, dict):
        w = 1
        for key, x in v.items():
            w += _weight(key, budget - w, depth + 1) + _weight(x, budget - w, depth + 1)
            if w > budget:
                raise Skip('value too large')
        return w
    if isinstance(v, str):
        if len(v) > MAX_STR:
            raise Skip('string too long')
        return 1 + len(v) // 64
    if isinstance(v, int) and not isinstance(v, bool):
        if v.bit_length() > MAX_INT_BITS:
            raise Skip('integer too large')
    return 1


def _checked(v):
    _weight(v)
    return v


def _is_plain(v, depth=0):
    if depth > 50:
        return False
    if v is None or isinstance(v, (str, int, float, bool)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_is_plain(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return all(_is_plain(k, depth + 1) and _is_plain(x, depth + 1)
                   for k, x in v.items())
    return False


def _hashable_key(k):
    if isinstance(k, (list, dict)):
        raise Skip('unhashable dict key')
    if isinstance(k, tuple):
        for x in k:
            _hashable_key(x)
    return k


def _dotted(node):
    """'os.path.join' for an Attribute/Name chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return '.'.join(reversed(parts))
    return None


class Evaluator:
    """The namespace of Defaults.py + Version.py + mm_cfg.py."""

    def __init__(self, install_dir, contents):
        self.contents = contents
        self.names = {}
        self.warnings = []
        self.files = []
        self.install_dir = install_dir
        self.version_read = False
        self.depth = 0
        self.fname = ''

    # -- warnings --------------------------------------------------------

    def warn(self, lineno, msg):
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append('%s, line %d: %s' % (self.fname, lineno, msg))
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append('%s: too many warnings; further ones dropped'
                                 % self.fname)

    @staticmethod
    def snippet(raw):
        raw = ''.join(ch if ch.isprintable() else '?' for ch in raw)
        if len(raw) > SNIPPET:
            raw = raw[:SNIPPET - 3] + '...'
        return raw

    # -- files -----------------------------------------------------------

    def run_file(self, name, required):
        path = os.path.join(self.install_dir, 'Mailman', name)
        data = self.contents.get(name)
        if data is None:
            if required:
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
            self.warnings.append('%s: not found; its settings take the defaults'
                                 % path)
            return
        if isinstance(data, str):
            # the C reader's error, which names the file
            if required:
                raise OSError(data)
            self.warnings.append('%s; skipped' % data)
            return
        if len(data) > MAX_FILE_BYTES:
            self.warnings.append('%s: larger than %d bytes; skipped'
                                 % (path, MAX_FILE_BYTES))
            return
        self.files.append(path)
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            text = data.decode('latin-1')
        text = text.replace('\r\n', '\n').replace('\r', '\n')
        saved = self.fname
        self.fname = name
        try:
            for lineno, src, raw in _statements(text):
                self.run_statement(lineno, src, raw)
        finally:
            self.fname = saved

    def run_statement(self, lineno, src, raw):
        if len(src) > MAX_STATEMENT_CHARS:
            self.warn(lineno, 'statement too long; skipped')
            return
        m = re.match(r'(try|for|while|with|class|def|async|@)\b\s*([A-Za-z_]\w*)?', src)
        if m is not None:
            if m.group(1) == 'def':
                if m.group(2) not in KNOWN_DEFS:
                    self.warn(lineno, 'definition of %s() not evaluated; skipped'
                              % m.group(2))
            else:
                self.warn(lineno, '%s block not evaluated (%s); skipped'
                          % (m.group(1), self.snippet(raw)))
            return
        try:
            tree = ast.parse(src, filename=self.fname, mode='exec')
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
            what = getattr(e, 'msg', None) or type(e).__name__
            self.warn(lineno, 'cannot parse %s (%s); skipped' % (self.snippet(raw), what))
            return
        for stmt in tree.body:
            self.depth = 0
            try:
                self.exec_stmt(stmt, lineno + stmt.lineno - 1, raw, top=True)
            except Skip as e:
                self.warn(lineno + stmt.lineno - 1,
                          'cannot evaluate %s (%s); skipped' % (self.snippet(raw), e))
            except RecursionError:
                self.warn(lineno, 'cannot evaluate %s (nested too deeply); skipped'
                          % self.snippet(raw))
            except (ArithmeticError, TypeError, ValueError, KeyError, IndexError,
                    MemoryError) as e:
                self.warn(lineno + stmt.lineno - 1, 'cannot evaluate %s (%s: %s); skipped'
                          % (self.snippet(raw), type(e).__name__, str(e)[:80]))

    # -- statements ------------------------------------------------------

    def exec_stmt(self, stmt, lineno, raw, top=False):
        if isinstance(stmt, ast.Assign):
            value = _checked(self.eval(stmt.value))
            for target in stmt.targets:
                self.assign(target, value)
        elif isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, ast.Name):
                raise Skip('augmented assignment to something other than a name')
            cur = self.lookup(stmt.target.id)
            self.names[stmt.target.id] = _checked(
                self.binop(stmt.op, cur, self.eval(stmt.value)))
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                return                           # docstring
            if not isinstance(stmt.value, ast.Call):
                raise Skip('expression statement')
            self.call(stmt.value, statement=True)
        elif isinstance(stmt, ast.Import):
            return
        elif isinstance(stmt, ast.ImportFrom):
            if stmt.module == 'Version' and any(a.name == '*' for a in stmt.names):
                if not self.version_read:
                    self.version_read = True
                    self.run_file('Version.py', required=False)
            return
        elif isinstance(stmt, ast.Pass):
            return
        elif isinstance(stmt, ast.Delete):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    self.names.pop(t.id, None)
                else:
                    raise Skip('del of something other than a name')
        elif isinstance(stmt, ast.FunctionDef):
            if stmt.name not in KNOWN_DEFS:
                self.warn(lineno, 'definition of %s() not evaluated; skipped' % stmt.name)
        elif isinstance(stmt, ast.If):
            self.exec_if(stmt, lineno, raw)
        elif isinstance(stmt, ast.Try):
            self.warn(lineno, 'try block not evaluated (%s); skipped' % self.snippet(raw))
        elif isinstance(stmt, (ast.For, ast.While, ast.With, ast.ClassDef)):
            self.warn(lineno, '%s block not evaluated (%s); skipped'
                      % (type(stmt).__name__.lower(), self.snippet(raw)))
        else:
            raise Skip('%s statement' % type(stmt).__name__)

    def exec_if(self, stmt, lineno, raw):
        """Evaluate an if whose test and chosen branch are all evaluable;
        otherwise skip it whole (nothing of it is applied)."""
        saved = copy.deepcopy(self.names)
        try:
            node = stmt
            while True:
                if self.truth(self.eval(node.test)):
                    body = node.body
                    break
                if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                    node = node.orelse[0]
                    continue
                body = node.orelse
                break
            for s in body:
                if isinstance(s, (ast.If, ast.Assign, ast.AugAssign, ast.Expr,
                                  ast.Pass, ast.Import, ast.ImportFrom)):
                    self.exec_stmt(s, lineno + s.lineno - 1, raw)
                else:
                    raise Skip('%s inside an if block' % type(s).__name__)
        except Exception as e:   # undo a half-applied block, then report
            self.names = saved
            self.warn(lineno, 'if block not evaluated (%s: %s); skipped'
                      % (self.snippet(raw), e if isinstance(e, Skip) else type(e).__name__))

    @staticmethod
    def truth(v):
        if v is None or isinstance(v, (str, int, float, bool, list, tuple, dict)):
            return bool(v)
        raise Skip('test of an unknown value')

    def assign(self, target, value):
        if isinstance(target, ast.Name):
            self.names[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, (list, tuple)) or len(value) != len(target.elts):
                raise Skip('cannot unpack')
            for t, v in zip(target.elts, value):
                self.assign(t, v)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            key = self.eval(target.slice)
            if isinstance(container, dict):
                container[_hashable_key(key)] = copy.deepcopy(value)
                _weight(container)
            elif isinstance(container, list) and isinstance(key, int) \
                    and not isinstance(key, bool):
                container[key] = copy.deepcopy(value)
                _weight(container)
            else:
                raise Skip('item assignment to an unsupported value')
        else:
            raise Skip('assignment to %s' % type(target).__name__)

    # -- expressions -----------------------------------------------------

    def lookup(self, name):
        if name in self.names:
            return self.names[name]
        if name == 'True':
            return True
        if name == 'False':
            return False
        if name == 'None':
            return None
        raise Skip('name %s is not bound' % name)

    def eval(self, node):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise Skip('expression nested too deeply')
            return self._eval(node)
        finally:
            self.depth -= 1

    def _eval(self, node):
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bytes):
                return v.decode('latin-1')
            if v is None or isinstance(v, (str, int, float, bool)):
                return v
            raise Skip('%s literal' % type(v).__name__)
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Tuple):
            return _checked(tuple(self.eval(e) for e in node.elts))
        if isinstance(node, ast.List):
            return _checked([self.eval(e) for e in node.elts])
        if isinstance(node, ast.Dict):
            d = {}
            for k, v in zip(node.keys, node.values):
                if k is None:
                    raise Skip('** in a dict literal')
                d[_hashable_key(self.eval(k))] = self.eval(v)
            return _checked(d)
        if isinstance(node, ast.UnaryOp):
            v = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return not self.truth(v)
            if not isinstance(v, (int, float)):
                raise Skip('unary operator on a non-number')
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return +v
            if isinstance(node.op, ast.Invert) and isinstance(v, int):
                return ~v
            raise Skip('unary operator')
        if isinstance(node, ast.BinOp):
            return _checked(self.binop(node.op, self.eval(node.left), self.eval(node.right)))
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                v = True
                for e in node.values:
                    v = self.eval(e)
                    if not self.truth(v):
                        return v
                return v
            v = False
            for e in node.values:
                v = self.eval(e)
                if self.truth(v):
                    return v
            return v
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Subscript):
            container = self.eval(node.value)
            key = self.eval(node.slice)
            if isinstance(container, dict):
                return container[_hashable_key(key)]
            if isinstance(container, (list, tuple, str)) and isinstance(key, int) \
                    and not isinstance(key, bool):
                return container[key]
            raise Skip('subscript of an unsupported value')
        if isinstance(node, ast.Call):
            return self.call(node)
        raise Skip('%s expression' % type(node).__name__)

    def compare(self, node):
        left = self.eval(node.left)
        for op, comp in zip(node.ops, node.comparators):
            right = self.eval(comp)
            for v in (left, right):
                if not (v is None or isinstance(v, (str, int, float, bool, tuple))):
                    raise Skip('comparison of an unsupported value')
            if isinstance(op, ast.Eq):
                ok = left == right
            elif isinstance(op, ast.NotEq):
                ok = left != right
            elif isinstance(op, ast.Is):
                ok = left is right if right is None or left is None else left == right
            elif isinstance(op, ast.IsNot):
                ok = left is not right if right is None or left is None else left != right
            elif isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                if not (isinstance(left, (int, float)) and isinstance(right, (int, float))) \
                        and not (isinstance(left, str) and isinstance(right, str)):
                    raise Skip('ordering of unlike values')
                ok = {ast.Lt: left < right, ast.LtE: left <= right,
                      ast.Gt: left > right, ast.GtE: left >= right}[type(op)]
            else:
                raise Skip('comparison operator %s' % type(op).__name__)
            if not ok:
                return False
            left = right
        return True

    def binop(self, op, a, b):
        num = (int, float)
        if isinstance(op, ast.Mod):
            if isinstance(a, str):
                if _BAD_FORMAT.search(a):
                    raise Skip('format with * or a huge width')
                if not _is_plain(b):
                    raise Skip('format argument')
                if isinstance(b, (tuple, dict)):
                    _weight(b)
                r = a % b
                if len(r) > MAX_STR:
                    raise Skip('string too long')
                return r
            if isinstance(a, num) and isinstance(b, num):
                return a % b
            raise Skip('% of unsupported values')
        if isinstance(op, ast.Add):
            if isinstance(a, num) and isinstance(b, num):
                return a + b
            if type(a) is type(b) and isinstance(a, (str, list, tuple)):
                if len(a) + len(b) > MAX_STR:
                    raise Skip('value too large')
                return a + b
            raise Skip('+ of unsupported values')
        if isinstance(op, (ast.Div, ast.FloorDiv)):
            if not (isinstance(a, num) and isinstance(b, num)):
                raise Skip('/ of non-numbers')
            # Python 2: int / int floors
            if isinstance(op, ast.FloorDiv) or (isinstance(a, int) and isinstance(b, int)):
                return a // b
            return a / b
        if isinstance(op, ast.Sub):
            if isinstance(a, num) and isinstance(b, num):
                return a - b
            raise Skip('- of non-numbers')
        if isinstance(op, ast.Mult):
            if isinstance(a, num) and isinstance(b, num):
                return a * b
            if isinstance(b, (str, list, tuple)):
                a, b = b, a
            if isinstance(a, (str, list, tuple)) and isinstance(b, int) \
                    and not isinstance(b, bool):
                if b > 0 and len(a) * b > (MAX_STR if isinstance(a, str) else MAX_WEIGHT):
                    raise Skip('value too large')
                if b > 0 and not isinstance(a, str):
                    _weight(a, MAX_WEIGHT // b)
                return a * b
            raise Skip('* of unsupported values')
        if isinstance(op, (ast.BitOr, ast.BitAnd, ast.BitXor, ast.LShift, ast.RShift)):
            if not (isinstance(a, int) and isinstance(b, int)):
                raise Skip('bit operation on non-integers')
            if isinstance(op, ast.BitOr):
                return a | b
            if isinstance(op, ast.BitAnd):
                return a & b
            if isinstance(op, ast.BitXor):
                return a ^ b
            if not 0 <= b <= MAX_INT_BITS:
                raise Skip('shift count out of range')
            return a << b if isinstance(op, ast.LShift) else a >> b
        raise Skip('operator %s' % type(op).__name__)

    # -- calls -----------------------------------------------------------

    def args(self, node, names, required):
        """Bind positional and keyword arguments of a call to names."""
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise Skip('*args')
        if len(node.args) > len(names):
            raise Skip('too many arguments')
        bound = {}
        for name, a in zip(names, node.args):
            bound[name] = self.eval(a)
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in names or kw.arg in bound:
                raise Skip('bad keyword argument')
            bound[kw.arg] = self.eval(kw.value)
        for name in names[:required]:
            if name not in bound:
                raise Skip('missing argument %s' % name)
        return bound

    def call(self, node, statement=False):
        fn = _dotted(node.func)
        if fn is None:
            raise Skip('call of a computed function')
        if fn == 'os.path.join':
            a = self.args(node, ['a%d' % i for i in range(len(node.args))], len(node.args))
            parts = [a['a%d' % i] for i in range(len(node.args))]
            if node.keywords or not parts or not all(isinstance(p, str) for p in parts):
                raise Skip('os.path.join of non-strings')
            return os.path.join(*parts)
        if fn in ('seconds', 'minutes', 'hours', 'days'):
            n = self.args(node, ['n'], 1)['n']
            if not isinstance(n, (int, float)) or isinstance(n, bool):
                raise Skip('%s() of a non-number' % fn)
            return n * {'seconds': 1, 'minutes': 60, 'hours': 3600, 'days': 86400}[fn]
        if fn == '_':
            s = self.args(node, ['s'], 1)['s']
            return s
        if fn == 'add_virtualhost':
            a = self.args(node, ['urlhost', 'emailhost'], 1)
            url = a['urlhost']
            email = a.get('emailhost')
            if not isinstance(url, str) or not (email is None or isinstance(email, str)):
                raise Skip('add_virtualhost() of non-strings')
            if email is None:
                email = '.'.join(url.split('.')[1:])
            vh = self.names.get('VIRTUAL_HOSTS')
            if not isinstance(vh, dict):
                vh = self.names['VIRTUAL_HOSTS'] = {}
            vh[url.lower()] = email.lower()
            return None
        if fn == 'add_language':
            a = self.args(node, ['code', 'description', 'charset', 'direction'], 3)
            code = a['code']
            desc = a['description']
            cs = a['charset']
            direction = a.get('direction', 'ltr')
            if not all(isinstance(x, str) for x in (code, desc, cs, direction)):
                raise Skip('add_language() of non-strings')
            lc = self.names.get('LC_DESCRIPTIONS')
            if not isinstance(lc, dict):
                lc = self.names['LC_DESCRIPTIONS'] = {}
            lc[code] = (desc, cs, direction)
            return None
        if fn == 'dict':
            if node.args:
                raise Skip('dict() with positional arguments')
            d = {}
            for kw in node.keywords:
                if kw.arg is None:
                    raise Skip('dict(**x)')
                d[kw.arg] = self.eval(kw.value)
            return _checked(d)
        if '.' in fn and fn.count('.') == 1 and statement:
            obj_name, method = fn.split('.')
            obj = self.lookup(obj_name)
            return self.method(obj, method, node)
        raise Skip('call of %s()' % fn)

    def method(self, obj, method, node):
        if isinstance(obj, dict):
            if method == 'clear':
                self.args(node, [], 0)
                obj.clear()
                return None
            if method == 'update':
                other = self.args(node, ['other'], 1)['other']
                if not isinstance(other, dict):
                    raise Skip('update() with a non-dict')
                obj.update(copy.deepcopy(other))
                _weight(obj)
                return None
        if isinstance(obj, list):
            if method == 'append':
                obj.append(copy.deepcopy(self.args(node, ['x'], 1)['x']))
                _weight(obj)
                return None
            if method == 'extend':
                x = self.args(node, ['x'], 1)['x']
                if not isinstance(x, (list, tuple)):
                    raise Skip('extend() with a non-sequence')
                obj.extend(copy.deepcopy(x))
                _weight(obj)
                return None
            if method == 'insert':
                a = self.args(node, ['i', 'x'], 2)
                if not isinstance(a['i'], int):
                    raise Skip('insert() at a non-integer')
                obj.insert(a['i'], copy.deepcopy(a['x']))
                _weight(obj)
                return None
            if method == 'remove':
                x = self.args(node, ['x'], 1)['x']
                if x in obj:
                    obj.remove(x)
                return None
            if method == 'clear':
                self.args(node, [], 0)
                del obj[:]
                return None
        raise Skip('method %s() of a %s' % (method, type(obj).__name__))


# --------------------------------------------------------------------------
# entry points

def read_files(install_dir, files):
    """Evaluate the site files; return the Evaluator.  files maps
    'Defaults.py', 'Version.py', 'mm_cfg.py' to the file's bytes, None when
    it does not exist, or a str saying why it could not be read."""
    ev = Evaluator(install_dir, files)
    ev.run_file('Defaults.py', required=True)
    if not ev.version_read:
        ev.version_read = True
        ev.run_file('Version.py', required=False)
    ev.run_file('mm_cfg.py', required=False)
    return ev


def read_site(install_dir, files):
    """The settings of the installation in install_dir, as plain values.

    Keys: every bound name whose value is a str, int, float, bool, None, or
    a list/tuple/dict of those; always 'VIRTUAL_HOSTS' (url host -> email
    host) and 'LC_DESCRIPTIONS' (code -> (description, charset,
    direction)), '__warnings__' (list of str) and '__files__' (the files
    read).  files: as read_files takes it.  Raises OSError if
    Mailman/Defaults.py is missing or could not be read.
    """
    if not install_dir:
        raise ValueError('no install dir given')
    if not isinstance(files, dict):
        raise TypeError('read_site takes the files\' contents from the caller')
    ev = read_files(install_dir, files)
    result = {}
    for name, value in ev.names.items():
        if name.startswith('__') or not _is_plain(value):
            continue
        result[name] = value
    for name in ('VIRTUAL_HOSTS', 'LC_DESCRIPTIONS'):
        if not isinstance(result.get(name), dict):
            result[name] = {}
    result['__warnings__'] = list(ev.warnings)
    result['__files__'] = list(ev.files)
    return result
