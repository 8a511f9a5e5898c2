#!/usr/bin/env python3
"""gen_install - generate a large synthetic Mailman 2.1 installation.

Usage: gen_install.py [--lists N] [--members M] [--seed S] [--jobs J]
                      [--last] OUT

Writes OUT/lists/<name>/config.pck (protocol-1 pickles in Python 2 cPickle's
form, via tests/tools/py2pickle.py), data_version 112, ~145 attributes per
list, plus the install dir (OUT/Mailman/{Defaults,mm_cfg,Version}.py) and
OUT/data, OUT/locks.  Members are spread over the lists with a skewed size
distribution (a few 100,000-member lists when M allows, a long tail of small
ones), with passwords, user_options, languages, real names (some unicode),
delivery_status and a few _BounceInfo records.  Deterministic for a given
seed, list count and member count (whatever --jobs is).
"""

import argparse
import os
import random
import sys
import time
from multiprocessing import Pool

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), 'tools')
sys.path.insert(0, TOOLS)

import mkfixtures   # noqa: E402
import py2marshal   # noqa: E402
import py2pickle    # noqa: E402
from py2pickle import Inst  # noqa: E402

T0 = 1700000000

LANGS = [  # (code, charset, weight, description, info, name samples)
    ('en', 'us-ascii', 50, 'Discussion list', 'General discussion.',
     ['John Smith', 'Mary Jones', 'Peter Brown']),
    ('de', 'iso-8859-1', 12, 'Diskussionsliste für Mitglieder',
     'Allgemeine Diskussion. Größe zählt nicht.',
     ['Jürgen Müller', 'Bärbel Köhler', 'Hans Weiß']),
    ('es', 'iso-8859-1', 12, 'Lista de discusión', 'Debates. ¿Preguntas?',
     ['José Núñez', 'María Pérez', 'Iñigo Peña']),
    ('cs', 'iso-8859-2', 8, 'Česká konference', 'Příliš žluťoučký kůň.',
     ['Jiří Dvořák', 'Šárka Nováková', 'Petr Černý']),
    ('fr', 'iso-8859-1', 8, 'Liste de diffusion', 'Été comme hiver.',
     ['Hélène Dubois', 'François Lefèvre', 'Zoé Martin']),
    ('ja', 'euc-jp', 5, 'メーリングリスト', '日本語の議論です。',
     ['山田 太郎', '鈴木 花子', '佐藤 次郎']),
    ('el', 'iso-8859-7', 3, 'Λίστα συζήτησης', 'Καλή διασκέδαση.',
     ['Γιώργος Παππάς', 'Μαρία Νικολάου', 'Ελένη Δημητρίου']),
    ('ru', 'utf-8', 2, 'Список рассылки', 'Обсуждение.',
     ['Иван Петров', 'Ольга Смирнова', 'Сергей Иванов']),
]
FIRST = ['ana', 'bruno', 'carla', 'dana', 'emil', 'fiona', 'gustav', 'hana',
         'ivan', 'jana', 'karel', 'lena', 'marek', 'nora', 'otto', 'petra',
         'rosa', 'simon', 'tereza', 'uwe', 'vera', 'walter', 'xenia', 'zofia',
         'john', 'mary', 'peter', 'linda', 'james', 'susan']
LAST = ['novak', 'schmidt', 'garcia', 'tanaka', 'papadopoulos', 'dvorak',
        'weber', 'lopez', 'suzuki', 'nikolaou', 'smith', 'kral', 'fischer',
        'martin', 'jones', 'brown', 'miller', 'davis', 'wilson', 'taylor']
DOMAINS = ['example.org', 'example.net', 'example.com', 'mail.example.org',
           'uni.example.net', 'post.example.com', 'lists.example.org',
           'corp.example.com']


def list_sizes(nlists, nmembers, rng):
    """Skewed sizes summing to nmembers: big lists of 100,000 then a tail."""
    sizes = [0] * nlists
    big = min(nmembers // 250000, max(0, nlists // 4)) if nlists > 4 else 0
    rest = nmembers - big * 100000
    for i in range(big):
        sizes[i] = 100000
    # pareto-distributed weights for the others
    weights = [rng.paretovariate(1.1) for _ in range(nlists - big)]
    total = sum(weights)
    alloc = [int(rest * w / total) for w in weights]
    short = rest - sum(alloc)
    for i in range(short):
        alloc[i % len(alloc)] += 1
    sizes[big:] = alloc
    return sizes


def build_list20(out, idx, name, size, seed, last):
    """A Mailman 2.0 list (data_version 21, marshal format 0 as 2.0's
    Python 1.5/2.0 wrote it): the same members, passwords and options as the
    2.1 generator would give, no languages (2.0 had none), 2.0's bounce
    records ([time, first_post_id, last_post_id])."""
    rng = random.Random(seed * 1000003 + idx)
    lang, charset, _, desc, info, names = LANGS[
        weighted_index(rng, [l[2] for l in LANGS])]
    if charset in ('utf-8', 'euc-jp'):      # 2.0 lists held Latin-1 text
        charset, desc, info = 'iso-8859-1', 'Discussion list', 'General discussion.'
    host = 'example.org' if idx % 7 else 'example.net'
    url_host = 'www.' + host if idx % 7 else 'lists.' + host
    cfg = mkfixtures.py2(mkfixtures.config20(name, host=host, url_host=url_host,
                                             description=desc, info=info + '\n'),
                         charset)
    members = cfg[b'members']
    digest = cfg[b'digest_members']
    passwords = cfg[b'passwords']
    user_options = cfg[b'user_options']
    bounce = cfg[b'bounce_info']
    choice = rng.choice
    for i in range(size):
        local = '%s.%s%d' % (choice(FIRST), choice(LAST), i)
        addr = ('%s@%s' % (local, choice(DOMAINS))).encode()
        r = rng.random()
        (digest if r > 0.9 else members)[addr] = 0
        passwords[addr] = ('%x' % rng.getrandbits(28)).encode()
        user_options[addr] = 8 if r < 0.5 else 0
        if rng.random() > 0.99:
            bounce[addr] = [float(T0 - rng.randint(0, 10**6)), 1, rng.randint(2, 30)]
    data = py2marshal.dumps(cfg, 0)
    d = os.path.join(out, 'lists', name)
    os.makedirs(d, exist_ok=True)
    for f in ('config.db',) + (('config.db.last',) if last else ()):
        with open(os.path.join(d, f), 'wb') as fp:
            fp.write(data)
    return name, size


def build_list(args):
    """Write one list; returns (name, members)."""
    out, idx, name, size, seed, last, fmt = args
    if fmt == '20':
        return build_list20(out, idx, name, size, seed, last)
    rng = random.Random(seed * 1000003 + idx)
    lang, charset, _, desc, info, names = LANGS[
        weighted_index(rng, [l[2] for l in LANGS])]
    host = 'example.org' if idx % 7 else 'example.net'
    url_host = 'www.' + host if idx % 7 else 'lists.' + host
    base = mkfixtures.config21(
        name, lang, host=host, url_host=url_host,
        description=desc, info=info + '\n', created=T0 - 400 * 86400 + idx,
        next_post_number=rng.randint(1, 5000))
    cfg = mkfixtures.py2(base, charset)
    enc_lang = lang.encode()
    members = cfg[b'members']
    digest = cfg[b'digest_members']
    passwords = cfg[b'passwords']
    user_options = cfg[b'user_options']
    language = cfg[b'language']
    usernames = cfg[b'usernames']
    delivery = cfg[b'delivery_status']
    bounce = cfg[b'bounce_info']
    uni_names = names
    byte_names = [n.encode(charset) for n in names]
    lastnotice = (1970, 1, 2)
    rnd = rng.random
    choice = rng.choice
    for i in range(size):
        local = '%s.%s%d' % (choice(FIRST), choice(LAST), i)
        domain = choice(DOMAINS)
        addr = ('%s@%s' % (local, domain)).encode()
        r = rnd()
        if r < 0.02:
            value = ('%s@%s' % (local.title(), domain)).encode()
        else:
            value = 0
        if r > 0.9:
            digest[addr] = value
        else:
            members[addr] = value
        passwords[addr] = ('%x' % rng.getrandbits(28)).encode()
        user_options[addr] = 264 if r < 0.1 else 256
        language[addr] = enc_lang
        r2 = rnd()
        if r2 < 0.1:
            usernames[addr] = choice(uni_names)
        elif r2 < 0.4:
            usernames[addr] = choice(byte_names)
        if r2 > 0.99:
            status = choice((2, 3, 4))
            delivery[addr] = (status, T0 - rng.randint(0, 10**7) + 0.5)
            if status == 4 or r2 > 0.998:
                bounce[addr] = Inst('Mailman.Bouncer _BounceInfo', {
                    b'member': addr, b'score': float(rng.randint(1, 5)),
                    b'date': (2023, 11, rng.randint(1, 28)),
                    b'noticesleft': 3, b'lastnotice': lastnotice,
                    b'cookie': None})
    d = os.path.join(out, 'lists', name)
    os.makedirs(d, exist_ok=True)
    # what Mailman 2.1's list creation leaves in archives/: the private
    # directory and its .mbox (02775), and the public link of a public list
    # (an absolute target, as Archiver.CheckHTMLArchiveDir makes it)
    priv = os.path.join(os.path.abspath(out), 'archives', 'private', name)
    for p in (priv, priv + '.mbox'):
        os.makedirs(p, exist_ok=True)
        os.chmod(p, 0o2775)
    if not cfg[b'archive_private']:
        pub = os.path.join(out, 'archives', 'public', name)
        if not os.path.lexists(pub):
            os.symlink(priv, pub)
    data = py2pickle.dumps(cfg, 1)
    with open(os.path.join(d, 'config.pck'), 'wb') as f:
        f.write(data)
    if last:
        with open(os.path.join(d, 'config.pck.last'), 'wb') as f:
            f.write(data)
    return name, size


def weighted_index(rng, weights):
    x = rng.random() * sum(weights)
    for i, w in enumerate(weights):
        x -= w
        if x < 0:
            return i
    return len(weights) - 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--lists', type=int, default=2000)
    ap.add_argument('--members', type=int, default=1000000)
    ap.add_argument('--seed', type=int, default=20240115)
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--last', action='store_true',
                    help='also write config.pck.last (config.db.last)')
    ap.add_argument('--format', choices=('21', '20'), default='21',
                    help='20: Mailman 2.0 lists (config.db, data_version 21)')
    ap.add_argument('out')
    a = ap.parse_args(argv)
    if a.lists < 1:
        ap.error('--lists must be >= 1')
    start = time.time()
    rng = random.Random(a.seed)
    sizes = list_sizes(a.lists, a.members, rng)
    names = []
    for i in range(a.lists):
        if i < 3:
            names.append(['announce', 'users', 'general'][i])
        else:
            names.append('list-%05d' % i)
    mkfixtures.write_install_dir(a.out, 'bench', 'www.example.org',
                                 'example.org',
                                 extra="add_virtualhost('lists.example.net', "
                                       "'example.net')\n")
    mkfixtures.w(a.out, 'data/last_mailman_version', '0x20127f0\n')
    for sub in ('locks', 'logs', 'archives/private', 'archives/public'):
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
    # biggest lists first so that the pool's tail is short
    work = sorted(((a.out, i, names[i], sizes[i], a.seed, a.last, a.format)
                   for i in range(a.lists)), key=lambda t: -t[3])
    total = 0
    if a.jobs > 1:
        with Pool(a.jobs) as pool:
            for _, n in pool.imap_unordered(build_list, work, chunksize=4):
                total += n
    else:
        for t in work:
            total += build_list(t)[1]
    size = 0
    for d, _, fs in os.walk(os.path.join(a.out, 'lists')):
        for f in fs:
            size += os.path.getsize(os.path.join(d, f))
    print('%s: %d lists, %d members, %.1f MB of list data, %.1f s'
          % (a.out, a.lists, total, size / 1e6, time.time() - start))
    return 0


if __name__ == '__main__':
    sys.exit(main())
