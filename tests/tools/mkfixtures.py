#!/usr/bin/env python3
"""mkfixtures - generate mmfix's own fixture installations under fixtures/.

Usage:
  mkfixtures.py [--out DIR] [NAME...]   (re)generate fixtures/demo, mm21, mm20
                                         (default: all, into <repo>/fixtures)
  mkfixtures.py --touch DIR             re-apply the mtimes, hard links and
                                         empty directories that git does not
                                         keep, to a copied installation

Everything is deterministic: fixed timestamps, a fixed random seed.  All
data is invented (example.org/.net/.com addresses); the Mailman install-dir
files are a reduced, hand-written stand-in in Mailman's Python 2 dialect.
The generator replaces only the fixture directories it makes (demo, mm21,
mm20); fixtures/hostile, fixtures/expected and fixtures/site-* are others'.
"""

import argparse
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import py2marshal  # noqa: E402
import py2pickle   # noqa: E402
from py2pickle import Inst  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))

# 2023-11-14 22:13:20 UTC: every file gets this mtime unless listed below.
T0 = 1700000000
DAY = 86400

# Host and pid recorded in the stale lock (the machine the site came from).
LOCK_HOST = 'oldmail.example.net'
LOCK_PID = 4242
LOCK_TMP = 'en-only.lock.%s.%d.0' % (LOCK_HOST, LOCK_PID)

# relative path -> mtime, applied after every file got T0 (also by --touch)
MTIMES = {
    # both-formats: config.db is NEWER than config.pck (the older one newer)
    'lists/both-formats/config.pck': T0 - 30 * DAY,
    'lists/both-formats/config.pck.last': T0 - 31 * DAY,
    'lists/both-formats/config.db': T0,
    # stale lock: Mailman sets mtime = expiry; this one expired long ago
    'locks/en-only.lock': T0 - 7 * DAY,
    'locks/' + LOCK_TMP: T0 - 7 * DAY,
    # .last files are one generation older than the current files
    'lists/broken/config.pck.last': T0 - DAY,
    'lists/hostile/config.pck.last': T0 - DAY,
}
# hard links to re-create: link -> target (both relative to the var prefix)
HARDLINKS = {
    'locks/en-only.lock': 'locks/' + LOCK_TMP,
}
# directories git cannot keep when empty
EMPTY_DIRS = ['locks', 'logs', 'qfiles', 'spam', 'archives/private',
              'archives/public']

ADDR_FIRST = ['ana', 'bruno', 'carla', 'dana', 'emil', 'fiona', 'gustav',
              'hana', 'ivan', 'jana', 'karel', 'lena', 'marek', 'nora',
              'otto', 'petra', 'quentin', 'rosa', 'simon', 'tereza',
              'uwe', 'vera', 'walter', 'xenia', 'yusuf', 'zofia']
ADDR_LAST = ['novak', 'schmidt', 'garcia', 'tanaka', 'papadopoulos',
             'dvorak', 'weber', 'lopez', 'suzuki', 'nikolaou', 'smith',
             'kral', 'fischer', 'martin']
ADDR_DOMAINS = ['example.org', 'example.net', 'example.com',
                'mail.example.org', 'uni.example.net', 'post.example.com']


# ---------------------------------------------------------------------------
# value helpers

class U(str):
    """Marks a value that is Python 2 unicode (everything else str -> bytes)."""


def py2(value, charset, cache=None):
    """Turn a spec value into the Python 2 model: str -> bytes (charset),
    U -> unicode (Python 3 str).  Equal strings become one shared object,
    as Python 2's interning and Mailman's shared keys make them."""
    if cache is None:
        cache = {}
    if isinstance(value, U):
        key = ('u', str(value))
        if key not in cache:
            cache[key] = str(value)
        return cache[key]
    if isinstance(value, str):
        key = ('s', value)
        if key not in cache:
            cache[key] = value.encode(charset)
        return cache[key]
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        return {py2(k, charset, cache): py2(v, charset, cache)
                for k, v in value.items()}
    if isinstance(value, list):
        return [py2(v, charset, cache) for v in value]
    if isinstance(value, tuple):
        return tuple(py2(v, charset, cache) for v in value)
    if isinstance(value, Inst):
        return Inst(value.module + ' ' + value.name,
                    py2(value.state, 'ascii', cache))
    return value


def members_for(seed, n, domains=ADDR_DOMAINS):
    """n distinct invented addresses (lower case), deterministic."""
    rng = random.Random(seed)
    out = []
    seen = set()
    while len(out) < n:
        a = '%s.%s%s@%s' % (rng.choice(ADDR_FIRST), rng.choice(ADDR_LAST),
                            rng.choice(['', '', str(rng.randint(1, 99))]),
                            rng.choice(domains))
        if a not in seen:
            seen.add(a)
            out.append(a)
    return out


def sha1ish(seed):
    return '%040x' % random.Random(seed).getrandbits(160)


# ---------------------------------------------------------------------------
# Mailman 2.1.39 list configuration (data_version 112, 145 attributes)

FOOTER = ('_______________________________________________\n'
          '%(real_name)s mailing list\n%(real_name)s@%(host_name)s\n'
          '%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s\n')
BOUNCE_HEADERS = ("\n# Lines that *start* with a '#' are comments.\n"
                  "to: friend@public.com\nmessage-id: relay.comanche.denmark.eu\n"
                  "from: list@listme.com\nfrom: .*@uplinkpro.com\n")


def config21(name, lang='en', host='example.org', url_host='www.example.org',
             description='', info='', members=(), digest=(), created=T0 - 400 * DAY,
             owner=None, **extra):
    """A 2.1.39 config dict in the spec model (str values, U for unicode)."""
    members = list(members)
    digest = list(digest)
    allm = members + digest
    c = {
        'data_version': 112,
        'real_name': name[:1].upper() + name[1:],
        'owner': owner or ['owner-%s@%s' % (name, host)],
        'moderator': [],
        'description': description,
        'info': info,
        'subject_prefix': '[%s] ' % name,
        'host_name': host,
        'web_page_url': 'http://%s/mailman/' % url_host,
        'preferred_language': lang,
        'available_languages': [lang] if lang == 'en' else [lang, 'en'],
        'password': sha1ish(name + 'pw'),
        'mod_password': None,
        'post_password': None,
        'created_at': float(created) + 0.25,
        'members': {a: 0 for a in members},
        'digest_members': {a: 0 for a in digest},
        'passwords': {a: 'pw%04d' % (i * 37 % 10000) for i, a in enumerate(allm)},
        'user_options': {a: 256 for a in allm},
        'language': {a: lang for a in allm},
        'usernames': {},
        'delivery_status': {},
        'bounce_info': {},
        'topics_userinterest': {},
        'one_last_digest': {},
        'hold_and_cmd_autoresponses': {},
        'admin_responses': {},
        'postings_responses': {},
        'request_responses': {},
        'send_welcome_msg': True, 'send_goodbye_msg': True,
        'welcome_msg': '', 'goodbye_msg': '',
        'advertised': True, 'administrivia': True, 'private_roster': 1,
        'next_digest_number': 1, 'next_post_number': 1, 'next_request_id': 1,
        'volume': 1, 'post_id': 1.0, 'last_post_time': 0,
        'digest_last_sent_at': 0, 'digest_volume_frequency': 1,
        'digestable': True, 'nondigestable': True, 'digest_is_default': False,
        'mime_is_default_digest': False, 'digest_send_periodic': True,
        'digest_size_threshhold': 30, 'digest_header': '',
        'digest_footer': FOOTER, 'msg_header': '', 'msg_footer': FOOTER,
        'news_prefix_subject_too': 1, 'scrub_nondigest': False,
        'pass_mime_types': ['multipart', 'message/rfc822',
                            'application/pgp-signature', 'text/plain'],
        'filter_mime_types': [], 'filter_filename_extensions':
            ['exe', 'bat', 'cmd', 'com', 'pif', 'scr', 'vbs', 'cpl'],
        'pass_filename_extensions': [], 'filter_content': False,
        'filter_action': 0, 'collapse_alternatives': True,
        'convert_html_to_plaintext': True,
        'subscribe_auto_approval': [],
        'bounce_notify_owner_on_bounce_increment': False,
        'bounce_notify_owner_on_disable': True,
        'bounce_notify_owner_on_removal': True,
        'bounce_info_stale_after': 7 * DAY,
        'bounce_score_threshold': 5.0,
        'bounce_processing': True,
        'bounce_you_are_disabled_warnings': 3,
        'bounce_you_are_disabled_warnings_interval': 7 * DAY,
        'bounce_unrecognized_goes_to_list_owner': True,
        'bounce_matching_headers': BOUNCE_HEADERS,
        'gateway_to_news': 0, 'gateway_to_mail': 0, 'linked_newsgroup': '',
        'nntp_host': '', 'news_moderation': 0,
        'dmarc_moderation_action': 0, 'dmarc_moderation_notice': '',
        'dmarc_moderation_addresses': [], 'dmarc_quarantine_moderation_action': True,
        'dmarc_none_moderation_action': False, 'dmarc_wrapped_message_text': '',
        'from_is_list': 0, 'emergency': 0, 'admin_member_chunksize': 30,
        'header_filter_rules': [], 'topics': [], 'topics_enabled': 0,
        'topics_bodylines_limit': 5,
        'reject_these_nonmembers': [], 'hold_these_nonmembers': [],
        'accept_these_nonmembers': [], 'discard_these_nonmembers': [],
        'regular_exclude_lists': [], 'regular_include_lists': [],
        'regular_exclude_ignore': True,
        'include_sender_header': 1, 'include_rfc2369_headers': 1,
        'include_list_post_header': 1,
        'archive': True, 'archive_private': 0, 'archive_volume_frequency': 1,
        'autorespond_postings': 0, 'autorespond_admin': 0,
        'autorespond_requests': 0, 'autoresponse_postings_text': '',
        'autoresponse_admin_text': '', 'autoresponse_request_text': '',
        'autoresponse_graceperiod': 90,
        'member_verbosity_threshold': 0, 'member_verbosity_interval': 300,
        'personalize': 0, 'acceptable_aliases': '\n',
        'max_num_recipients': 10, 'max_message_size': 40,
        'max_days_to_hold': 0, 'forward_auto_discards': True,
        'admin_immed_notify': True, 'admin_notify_mchanges': False,
        'require_explicit_destination': True, 'respond_to_post_requests': True,
        'send_reminders': True, 'umbrella_list': False,
        'umbrella_member_suffix': '-owner', 'anonymous_list': False,
        'reply_goes_to_list': 0, 'reply_to_address': '',
        'first_strip_reply_to': False, 'obscure_addresses': True,
        'unsubscribe_policy': 0, 'subscribe_policy': 1,
        'default_member_moderation': False, 'member_moderation_action': 0,
        'member_moderation_notice': '', 'nonmember_rejection_notice': '',
        'generic_nonmember_action': 1, 'ban_list': [], 'drop_cc': True,
        'encode_ascii_prefixes': 0 if lang == 'en' else 2,
        'new_member_options': 256, 'equivalent_domains': '',
    }
    c.update(extra)
    return c


def bounce_info(addr, score, date, cookie=None):
    return Inst('Mailman.Bouncer _BounceInfo', {
        'member': addr, 'score': float(score), 'date': date,
        'noticesleft': 3, 'lastnotice': (1970, 1, 2), 'cookie': cookie})


# ---------------------------------------------------------------------------
# Mailman 2.0 list configuration (data_version 21, the 2.0 attribute set)

def config20(name, host='example.org', url_host='www.example.org',
             description='', info='', members=(), digest=(), bounce=None,
             **extra):
    members = list(members)
    digest = list(digest)
    allm = members + digest
    c = {
        'data_version': 21,
        'real_name': name[:1].upper() + name[1:],
        'owner': ['owner-%s@%s' % (name, host)],
        'password': 'xQ' + sha1ish(name)[:11],      # looks like DES crypt
        'description': description, 'info': info,
        'subject_prefix': '[%s] ' % name,
        'host_name': host,
        'web_page_url': 'http://%s/mailman/' % url_host,
        'members': {a: 0 for a in members},
        'digest_members': {a: 0 for a in digest},
        'passwords': {a: 'pw%04d' % (i * 53 % 10000) for i, a in enumerate(allm)},
        'user_options': {a: 8 for a in allm},
        'bounce_info': bounce or {},
        'acceptable_aliases': '\n', 'admin_immed_notify': 1,
        'admin_member_chunksize': 30, 'admin_notify_mchanges': 0,
        'admin_responses': {}, 'administrivia': 1, 'advertised': 1,
        'anonymous_list': 0, 'archive': 1,
        'archive_directory': '/usr/local/mailman/archives/private/' + name,
        'archive_private': 0, 'archive_volume_frequency': 1,
        'automatic_bounce_action': 1, 'autorespond_admin': 0,
        'autorespond_postings': 0, 'autorespond_requests': 0,
        'autoresponse_admin_text': '', 'autoresponse_graceperiod': 90,
        'autoresponse_postings_text': '', 'autoresponse_request_text': '',
        'bounce_matching_headers': BOUNCE_HEADERS, 'bounce_processing': 1,
        'clobber_date': 0,
        'digest_footer': FOOTER, 'digest_header': '', 'digest_is_default': 0,
        'digest_send_periodic': 1, 'digest_size_threshhold': 30,
        'digestable': 1, 'dont_respond_to_post_requests': 0,
        'filter_prog': '', 'forbidden_posters': [], 'gateway_to_mail': 0,
        'gateway_to_news': 0, 'goodbye_msg': '', 'last_post_time': 0,
        'linked_newsgroup': '', 'max_message_size': 40,
        'max_num_recipients': 10, 'max_posts_between_bounces': 5,
        'member_posting_only': 0, 'mime_is_default_digest': 0,
        'minimum_post_count_before_bounce_action': 3,
        'minimum_removal_date': 5, 'moderated': 0, 'msg_footer': FOOTER,
        'msg_header': '', 'next_digest_number': 1, 'next_post_number': 1,
        'next_request_id': 1, 'nntp_host': '', 'nondigestable': 1,
        'obscure_addresses': 1, 'post_id': 1.0, 'posters': [],
        'postings_responses': {},
        'private_archive_file_dir':
            '/usr/local/mailman/archives/private/%s.mbox' % name,
        'private_roster': 0,
        'public_archive_file_dir': '/usr/local/mailman/archives/public',
        'reply_goes_to_list': 0, 'reply_to_address': '',
        'request_responses': {}, 'require_explicit_destination': 1,
        'send_reminders': 1, 'send_welcome_msg': 1, 'subscribe_policy': 1,
        'umbrella_list': 0, 'umbrella_member_suffix': '-owner', 'volume': 1,
        'welcome_msg': '',
    }
    c.update(extra)
    return c


# ---------------------------------------------------------------------------
# install dir: Mailman/Defaults.py, mm_cfg.py, Version.py (hand-written)

DEFAULTS_PY = r'''# -*- python -*-
#
# Reduced stand-in for Mailman's Defaults.py, written for mmfix's test
# fixtures.  Same Python 2 dialect as the real file (the True/False block,
# octal literals, a print statement), only the settings an offline tool reads.
# DO NOT EDIT THIS FILE: put site changes in mm_cfg.py.

import os

try:
    True, False
except NameError:
    True = 1
    False = 0

Yes = yes = On = on = True
No = no = Off = off = False

def seconds(s): return s
def minutes(m): return m * 60
def hours(h): return h * 60 * 60
def days(d): return d * 60 * 60 * 24

#####
# Host names and URLs
#####
DEFAULT_EMAIL_HOST = 'localhost.localdomain'
DEFAULT_URL_HOST = 'localhost.localdomain'
DEFAULT_URL_PATTERN = 'http://%s/mailman/'
PUBLIC_ARCHIVE_URL = 'http://%(hostname)s/pipermail/%(listname)s'
IMAGE_LOGOS = '/icons/'
CGIEXT = ''

VIRTUAL_HOSTS = {}
VIRTUAL_HOST_OVERVIEW = On

def add_virtualhost(urlhost, emailhost=None):
    """Map a URL host to an email host (and the reverse lookup)."""
    if emailhost is None:
        emailhost = urlhost
    VIRTUAL_HOSTS[urlhost.lower()] = emailhost.lower()

add_virtualhost(DEFAULT_URL_HOST, DEFAULT_EMAIL_HOST)

#####
# Mail server
#####
MTA = 'Manual'
SMTPHOST = 'localhost'
SMTPPORT = 0
POSTFIX_ALIAS_CMD = '/usr/sbin/postalias'
POSTFIX_MAP_CMD = '/usr/sbin/postmap'
POSTFIX_STYLE_VIRTUAL_DOMAINS = []
MAILMAN_SITE_LIST = 'mailman'
ACCEPTABLE_LISTNAME_CHARACTERS = '[-+_.=a-z0-9]'

#####
# Locks and permissions
#####
LIST_LOCK_LIFETIME = hours(5)
LIST_LOCK_TIMEOUT = seconds(10)
PENDING_REQUEST_LIFE = days(3)
SYNC_AFTER_WRITE = No
FILEPERMS = 0660
DIRPERMS = 02775

def _not_for_use():
    print "this function exists so that the file is not Python 3 source"

#####
# Directories (set by configure; the fixture pretends /usr/local/mailman)
#####
PREFIX = '/usr/local/mailman'
EXEC_PREFIX = PREFIX
VAR_PREFIX = PREFIX
MAILMAN_UID = 41
MAILMAN_GROUP = 'mailman'
LIST_DATA_DIR = os.path.join(VAR_PREFIX, 'lists')
LOG_DIR = os.path.join(VAR_PREFIX, 'logs')
LOCK_DIR = os.path.join(VAR_PREFIX, 'locks')
DATA_DIR = os.path.join(VAR_PREFIX, 'data')
SPAM_DIR = os.path.join(VAR_PREFIX, 'spam')
WRAPPER_DIR = os.path.join(EXEC_PREFIX, 'mail')
BIN_DIR = os.path.join(PREFIX, 'bin')
SCRIPTS_DIR = os.path.join(PREFIX, 'scripts')
TEMPLATE_DIR = os.path.join(PREFIX, 'templates')
MESSAGES_DIR = os.path.join(PREFIX, 'messages')
PUBLIC_ARCHIVE_FILE_DIR = os.path.join(VAR_PREFIX, 'archives', 'public')
PRIVATE_ARCHIVE_FILE_DIR = os.path.join(VAR_PREFIX, 'archives', 'private')
QUEUE_DIR = os.path.join(VAR_PREFIX, 'qfiles')

#####
# Languages
#####
DEFAULT_SERVER_LANGUAGE = 'en'
DEFAULT_CHARSET = None
LC_DESCRIPTIONS = {}

def add_language(code, description, charset, direction='ltr'):
    LC_DESCRIPTIONS[code] = (description, charset, direction)

add_language('ar',    'Arabic',              'utf-8',       'rtl')
add_language('cs',    'Czech',               'iso-8859-2',  'ltr')
add_language('da',    'Danish',              'iso-8859-1',  'ltr')
add_language('de',    'German',              'iso-8859-1',  'ltr')
add_language('el',    'Greek',               'iso-8859-7',  'ltr')
add_language('en',    'English (USA)',       'us-ascii',    'ltr')
add_language('es',    'Spanish (Spain)',     'iso-8859-1',  'ltr')
add_language('fr',    'French',              'iso-8859-1',  'ltr')
add_language('hu',    'Hungarian',           'iso-8859-2',  'ltr')
add_language('it',    'Italian',             'iso-8859-1',  'ltr')
add_language('ja',    'Japanese',            'euc-jp',      'ltr')
add_language('ko',    'Korean',              'euc-kr',      'ltr')
add_language('pl',    'Polish',              'iso-8859-2',  'ltr')
add_language('ro',    'Romanian',            'utf-8',       'ltr')
add_language('ru',    'Russian',             'utf-8',       'ltr')
add_language('tr',    'Turkish',             'iso-8859-9',  'ltr')
add_language('zh_CN', 'Chinese (China)',     'utf-8',       'ltr')
add_language('zh_TW', 'Chinese (Taiwan)',    'utf-8',       'ltr')

#####
# List defaults
#####
DEFAULT_MSG_FOOTER = """_______________________________________________
%(real_name)s mailing list
%(real_name)s@%(host_name)s
%(web_page_url)slistinfo%(cgiext)s/%(_internal_name)s
"""
DEFAULT_SUBJECT_PREFIX = "[%(real_name)s] "
DEFAULT_MAX_NUM_RECIPIENTS = 10
DEFAULT_MAX_MESSAGE_SIZE = 40
DEFAULT_ARCHIVE_PRIVATE = 0
DEFAULT_SUBSCRIBE_POLICY = 1
DEFAULT_BOUNCE_SCORE_THRESHOLD = 5.0
DEFAULT_NEW_MEMBER_OPTIONS = 256
'''

VERSION_PY = '''# Reduced stand-in for Mailman's Version.py (mmfix test fixture).
VERSION = "%(version)s"

# And as a hex number in the manner of PY_VERSION_HEX
ALPHA = 0xa
BETA  = 0xb
GAMMA = 0xc
RC    = 0xc
FINAL = 0xf

MAJOR_REV = %(major)d
MINOR_REV = %(minor)d
MICRO_REV = %(micro)d
REL_LEVEL = FINAL
REL_SERIAL = 0

HEX_VERSION = ((MAJOR_REV << 24) | (MINOR_REV << 16) | (MICRO_REV << 8) |
               (REL_LEVEL << 4)  | (REL_SERIAL << 0))

# config.pck schema version number
DATA_FILE_VERSION = %(data_version)d

# qfile/pending/requests schema versions
QFILE_SCHEMA_VERSION = 3
PENDING_FILE_SCHEMA_VERSION = 2
REQUESTS_FILE_SCHEMA_VERSION = 1
'''

MM_CFG_PY = '''# -*- python -*-
# mm_cfg.py of the mmfix fixture installation "%(fixture)s".
# Site changes go here; Defaults.py is never edited.

from Defaults import *

##############################################
# Put YOUR site-specific configuration below #
##############################################

DEFAULT_URL_HOST   = '%(url_host)s'
DEFAULT_EMAIL_HOST = '%(email_host)s'
DEFAULT_URL_PATTERN = 'http://%%s/mailman/'

VIRTUAL_HOSTS.clear()
add_virtualhost(DEFAULT_URL_HOST, DEFAULT_EMAIL_HOST)
%(extra)s
MTA = 'Postfix'
POSTFIX_ALIAS_CMD = '/usr/sbin/postalias'
POSTFIX_MAP_CMD = '/usr/sbin/postmap'
'''


def write_install_dir(root, fixture, url_host, email_host, extra=''):
    w(root, 'Mailman/Defaults.py', DEFAULTS_PY)
    w(root, 'Mailman/mm_cfg.py', MM_CFG_PY % dict(
        fixture=fixture, url_host=url_host, email_host=email_host,
        extra=extra))
    w(root, 'Mailman/Version.py', VERSION_PY % dict(
        version='2.1.39', major=2, minor=1, micro=39, data_version=112))
    w(root, 'Mailman/__init__.py', '')


# ---------------------------------------------------------------------------
# templates and message catalogs (own text)

EN_TEMPLATES = {
    'listinfo.html': '<html><head><title><MM-List-Name> Info Page</title></head>\n'
                     '<body><h1>About <MM-List-Name></h1>\n<MM-List-Info>\n'
                     '<p>To subscribe fill in this form.</p>\n<MM-Subscribe-Form-Start>\n'
                     '<MM-Subscribe-Box> <MM-Subscribe-Button>\n<MM-Form-End>\n'
                     '<MM-Mailman-Footer></body></html>\n',
    'subscribeack.txt': 'Welcome to the %(real_name)s@%(host_name)s mailing list!\n'
                        '%(welcome)s\nTo post to this list, send your message to:\n\n'
                        '  %(emailaddr)s\n\nYour password is: %(password)s\n',
    'options.html': '<html><head><title><MM-Presentable-User> membership '
                    'configuration for <MM-List-Name></title></head>\n<body>\n'
                    '<MM-Form-Start>\n<MM-Digest-Radio-Button>\n<MM-Form-End>\n'
                    '</body></html>\n',
    'roster.html': '<html><head><title><MM-List-Name> Subscribers</title></head>\n'
                   '<body><MM-Regular-Users>\n<MM-Digest-Users>\n</body></html>\n',
    'bounce.txt': 'This is a Mailman mailing list bounce action notice:\n\n'
                  '    List:       %(listname)s\n    Member:     %(addr)s\n'
                  '    Action:     %(action)s.\n    Reason:     %(reason)s\n',
}

CS_TEMPLATES = {
    'listinfo.html': '<html><head><title>Informace o konferenci <MM-List-Name>'
                     '</title></head>\n<body><h1>O konferenci <MM-List-Name></h1>\n'
                     '<MM-List-Info>\n<p>Přihlášení do konference: vyplňte '
                     'následující formulář.</p>\n<MM-Subscribe-Form-Start>\n'
                     '<MM-Subscribe-Box> <MM-Subscribe-Button>\n<MM-Form-End>\n'
                     '<MM-Mailman-Footer></body></html>\n',
    'subscribeack.txt': 'Vítejte v konferenci %(real_name)s@%(host_name)s!\n'
                        '%(welcome)s\nPříspěvky do konference posílejte na adresu:\n\n'
                        '  %(emailaddr)s\n\nVaše heslo je: %(password)s\n',
    'bounce.txt': 'Toto je upozornění o chybách při doručování z konference:\n\n'
                  '    Konference: %(listname)s\n    Člen:       %(addr)s\n'
                  '    Akce:       %(action)s.\n    Důvod:      %(reason)s\n',
}

DE_TEMPLATES = {
    'listinfo.html': '<html><head><title>Informationen zu <MM-List-Name>'
                     '</title></head>\n<body><h1>Über <MM-List-Name></h1>\n'
                     '<MM-List-Info>\n<p>Zum Abonnieren füllen Sie bitte das '
                     'Formular aus.</p>\n<MM-Subscribe-Form-Start>\n<MM-Form-End>\n'
                     '</body></html>\n',
    'subscribeack.txt': 'Willkommen auf der Liste %(real_name)s@%(host_name)s!\n'
                        '%(welcome)s\nIhr Passwort lautet: %(password)s\n',
}

ES_TEMPLATES = {
    'listinfo.html': '<html><head><title>Información sobre <MM-List-Name>'
                     '</title></head>\n<body><h1>Acerca de <MM-List-Name></h1>\n'
                     '<MM-List-Info>\n<p>Para suscribirse rellene el formulario.'
                     '</p>\n<MM-Subscribe-Form-Start>\n<MM-Form-End>\n'
                     '</body></html>\n',
    'subscribeack.txt': '¡Bienvenido a la lista %(real_name)s@%(host_name)s!\n'
                        '%(welcome)s\nSu contraseña es: %(password)s\n',
}

# 2.0 had one flat template directory (no languages)
FLAT20_TEMPLATES = {
    'listinfo.html': '<html><head><title><MM-List-Name> Info Page</title></head>\n'
                     '<body><h1><MM-List-Name> -- <MM-List-Description></h1>\n'
                     '<MM-List-Info>\n<MM-Subscribe-Form-Start>\n<MM-Form-End>\n'
                     '<MM-Mailman-Footer></body></html>\n',
    'subscribe.html': '<html><head><title><MM-List-Name> Subscription results'
                      '</title></head>\n<body><MM-Results></body></html>\n',
    'options.html': '<html><head><title><MM-List-Name> membership configuration'
                    '</title></head>\n<body><MM-Form-Start><MM-Form-End></body></html>\n',
    'roster.html': '<html><head><title><MM-List-Name> Subscribers</title></head>\n'
                   '<body><MM-Regular-Users><MM-Digest-Users></body></html>\n',
    'handle_opts.html': '<html><head><title><MM-List-Name> <MM-Operation> Results'
                        '</title></head><body><MM-Results></body></html>\n',
    'subscribeack.txt': 'Welcome to the %(real_name)s@%(host_name)s mailing list!\n'
                        '%(welcome)s\nYour password is: %(password)s\n',
}
PER_LIST_20 = ['listinfo.html', 'subscribe.html', 'options.html',
               'roster.html', 'handle_opts.html']

PO_HEADER = '''# Mailman message catalog stand-in (mmfix fixture, %(lang)s).
msgid ""
msgstr ""
"Content-Type: text/plain; charset=%(charset)s\\n"
"Content-Transfer-Encoding: 8bit\\n"

msgid "Mailing list"
msgstr "%(text)s"
'''


def write_language(root, lang, charset, templates, catalog_text):
    for fname, text in templates.items():
        w(root, 'templates/%s/%s' % (lang, fname), text.encode(charset))
    w(root, 'messages/%s/LC_MESSAGES/mailman.po' % lang,
      (PO_HEADER % dict(lang=lang, charset=charset, text=catalog_text)
       ).encode(charset))


# ---------------------------------------------------------------------------
# file helpers

def w(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode('ascii')
    with open(path, 'wb') as f:
        f.write(data)
    return path


def pck(root, listname, cfg, charset, fname='config.pck'):
    return w(root, 'lists/%s/%s' % (listname, fname),
             py2pickle.dumps(py2(cfg, charset), 1))


def db(root, listname, cfg, charset, version, fname='config.db'):
    return w(root, 'lists/%s/%s' % (listname, fname),
             py2marshal.dumps(py2(cfg, charset), version,
                              intern_keys=version >= 1))


def archive21(root, listname):
    w(root, 'archives/private/%s/index.html' % listname,
      '<html><body><h1>The %s Archives</h1>\n<p>No messages have been '
      'posted to this list yet.</p></body></html>\n' % listname)
    w(root, 'archives/private/%s.mbox/%s.mbox' % (listname, listname), '')


def archive20(root, listname, public=True):
    w(root, 'archives/private/%s/index.html' % listname,
      '<html><body><h1>The %s Archives</h1></body></html>\n' % listname)
    if public:
        link = os.path.join(root, 'archives/public', listname)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        # Mailman 2.0 made absolute links at the original prefix: they dangle
        os.symlink('/usr/local/mailman/archives/private/' + listname, link)


def touch(root):
    """Fixed mtimes, then the listed exceptions; hard links; empty dirs."""
    for rel in EMPTY_DIRS:
        if os.path.isdir(os.path.join(root, 'lists')):
            os.makedirs(os.path.join(root, rel), exist_ok=True)
    for link, target in HARDLINKS.items():
        lp = os.path.join(root, link)
        tp = os.path.join(root, target)
        if os.path.isfile(lp) and os.path.isfile(tp) \
                and not os.path.samefile(lp, tp):
            os.unlink(lp)
            os.link(tp, lp)
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames + dirnames:
            p = os.path.join(dirpath, n)
            os.utime(p, (T0, T0), follow_symlinks=False)
    for rel, t in MTIMES.items():
        p = os.path.join(root, rel)
        if os.path.lexists(p):
            os.utime(p, (t, t), follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(root):
        os.utime(dirpath, (T0, T0))


# ---------------------------------------------------------------------------
# fixtures/demo: a 2.0 site (lists/, data/, archives/) copied to a 2.1 host

def make_demo(root):
    write_install_dir(root, 'demo', 'www.example.org', 'example.org')
    write_language(root, 'en', 'us-ascii', EN_TEMPLATES, 'Mailing list')
    write_language(root, 'cs', 'iso-8859-2', CS_TEMPLATES, 'Konference')
    write_language(root, 'es', 'iso-8859-1', ES_TEMPLATES, 'Lista de correo')
    w(root, 'data/last_mailman_version', '0x20000f0\n')

    cs_m = members_for('demo-cs', 6)
    cfg = config20(
        'cs', description='Česká konference uživatelů',
        info='Diskusní konference pro české uživatele.\n'
             'Příliš žluťoučký kůň úpěl ďábelské ódy.',
        members=cs_m[:5], digest=cs_m[5:])
    db(root, 'cs', cfg, 'iso-8859-2', 0)
    es_m = members_for('demo-es', 8)
    cfg = config20(
        'es', description='Lista de los socios en español',
        info='Noticias y debates para los socios.\n¿Preguntas? Escriba al '
             'administrador. Año nuevo, señal nueva.',
        members=es_m[:7], digest=es_m[7:],
        welcome_msg='¡Bienvenido! Lea las normas de la lista.')
    db(root, 'es', cfg, 'iso-8859-1', 1)
    an_m = members_for('demo-anuncios', 5)
    cfg = config20(
        'anuncios', host='lists.example.net', url_host='lists.example.net',
        description='Anuncios oficiales',
        info='Solo anuncios. Archivo: http://lists.example.net/pipermail/anuncios/',
        members=an_m, moderated=1, posters=['secretaria@example.net'],
        member_posting_only=0)
    db(root, 'anuncios', cfg, 'iso-8859-1', 1)
    db(root, 'anuncios', dict(cfg, next_post_number=0), 'iso-8859-1', 1,
       'config.db.last')

    for name, custom in (('cs', False), ('es', True), ('anuncios', False)):
        for t in PER_LIST_20:
            text = FLAT20_TEMPLATES[t]
            if custom and t == 'listinfo.html':
                text = text.replace('<MM-List-Info>',
                                    '<p>Lista de los socios.</p>\n<MM-List-Info>')
            w(root, 'lists/%s/%s' % (name, t), text)
        archive20(root, name)

    pending = {
        123457: (b'nuevo.socio@example.com', b'pw-nuevo', 0, b'es', T0 - DAY),
        'lastculltime': T0 - DAY,
    }
    w(root, 'data/pending_subscriptions.db',
      py2marshal.dumps(py2(pending, 'ascii'), 0, intern_keys=False))


# ---------------------------------------------------------------------------
# fixtures/mm21: a 2.1.39 installation with every kind of trouble

HOSTILE_CMD = b'echo MMFIX-HOSTILE-FIXTURE-EXECUTED'


def hostile_pickle():
    """A protocol-1 pickle whose 'info' value is os.system(CMD) via REDUCE."""
    def sbs(b):
        return b'U' + bytes((len(b),)) + b
    return (b'}q\x01(' + sbs(b'real_name') + b'q\x02' + sbs(b'Hostile')
            + b'q\x03' + sbs(b'info') + b'q\x04cos\nsystem\nq\x05('
            + sbs(HOSTILE_CMD) + b'tq\x06Rq\x07u.')


def make_mm21(root):
    write_install_dir(root, 'mm21', 'www.example.org', 'example.org',
                      extra="add_virtualhost('lists.example.net', 'example.net')\n"
                            "POSTFIX_STYLE_VIRTUAL_DOMAINS = ['example.net']\n")
    write_language(root, 'en', 'us-ascii', EN_TEMPLATES, 'Mailing list')
    write_language(root, 'cs', 'iso-8859-2', CS_TEMPLATES, 'Konference')
    write_language(root, 'de', 'iso-8859-1', DE_TEMPLATES, 'Mailingliste')
    write_language(root, 'es', 'iso-8859-1', ES_TEMPLATES, 'Lista de correo')
    for lang, cs, text in (('ja', 'euc-jp', 'メーリングリスト'),
                           ('el', 'iso-8859-7', 'Λίστα')):
        w(root, 'messages/%s/LC_MESSAGES/mailman.po' % lang,
          (PO_HEADER % dict(lang=lang, charset=cs, text=text)).encode(cs))
    w(root, 'data/last_mailman_version', '0x20127f0\n')

    def good(name, charset, cfg, last=True):
        pck(root, name, cfg, charset)
        if last:
            prev = dict(cfg, next_post_number=max(0, cfg['next_post_number'] - 1))
            pck(root, name, prev, charset, 'config.pck.last')
        archive21(root, name)

    # site list
    good('mailman', 'us-ascii', config21(
        'mailman', description='Mailman site list',
        members=['mailman-owner@example.org'], advertised=False))

    # cs: Czech, iso-8859-2; the global templates/cs/ sits beside it
    m = members_for('mm21-cs', 12)
    cfg = config21('cs', 'cs', description='Česká konference uživatelů',
                   info='Diskusní konference pro české uživatele.\n'
                        'Příliš žluťoučký kůň úpěl ďábelské ódy.',
                   members=m[:10], digest=m[10:],
                   next_post_number=17, post_id=17.0,
                   welcome_msg='Vítejte! Prosíme, dodržujte pravidla.')
    cfg['usernames'] = {m[0]: U('Jiří Dvořák'), m[1]: 'Šárka Nováková'}
    good('cs', 'iso-8859-2', cfg)
    w(root, 'lists/cs/cs/listinfo.html',
      CS_TEMPLATES['listinfo.html'].replace(
          '<MM-List-Info>', '<p>Naše vlastní šablona.</p>\n<MM-List-Info>'
      ).encode('iso-8859-2'))

    # de-verein: German, iso-8859-1, held subscription + pending confirmation
    m = members_for('mm21-de', 10)
    cfg = config21('de-verein', 'de',
                   description='Mitteilungen des Vereins für Straßenmusik',
                   info='Größere Ankündigungen, Termine und Protokolle.\n'
                        'Bitte höflich bleiben.',
                   members=m[:8], digest=m[8:], next_request_id=2,
                   msg_footer=FOOTER + 'Vereinsbüro: Hauptstraße 5\n')
    cfg['usernames'] = {m[0]: U('Jürgen Müller'), m[1]: 'Bärbel Köhler'}
    good('de-verein', 'iso-8859-1', cfg)
    req = {1: (2, (float(T0 - 2 * DAY) + 0.5, 'neu@example.com',
                   U('Jörg Neumann'), 'geheim', 0, 'de')),
           'version': (0, 1)}
    w(root, 'lists/de-verein/request.pck',
      py2pickle.dumps(py2(req, 'iso-8859-1'), 1))
    cookie = sha1ish('de-pending')
    pend = {
        cookie: ('S', Inst('Mailman.UserDesc UserDesc', {
            'address': 'wartend@example.net', 'fullname': U('Grete Weiß'),
            'password': 'pw-warte', 'digest': 0, 'language': 'de'})),
        'evictions': {cookie: float(T0 + 3 * DAY) + 0.125},
        'version': 2,
    }
    w(root, 'lists/de-verein/pending.pck',
      py2pickle.dumps(py2(pend, 'iso-8859-1'), 0))

    # ja-test: Japanese, euc-jp
    m = members_for('mm21-ja', 6)
    cfg = config21('ja-test', 'ja', description='テスト用メーリングリスト',
                   info='日本語のテストです。\n投稿は会員のみです。',
                   members=m, subject_prefix='[ja-test %d] ')
    cfg['usernames'] = {m[0]: U('山田 太郎'), m[1]: '鈴木 花子'}
    good('ja-test', 'euc-jp', cfg)

    # el-club: Greek, iso-8859-7
    m = members_for('mm21-el', 6)
    cfg = config21('el-club', 'el', description='Λέσχη φίλων της ορειβασίας',
                   info='Εκδρομές κάθε Κυριακή.\nΚαλή διασκέδαση!', members=m)
    good('el-club', 'iso-8859-7', cfg)

    # en-only: bounce info, one member disabled by bounces, stale lock
    m = members_for('mm21-en', 8)
    cfg = config21('en-only', description='English only',
                   info='A plain English list.', members=m)
    cfg['bounce_info'] = {
        m[0]: bounce_info(m[0], 5.0, (2023, 11, 10), sha1ish('bounce-cookie')),
        m[1]: bounce_info(m[1], 1.0, (2023, 11, 12)),
    }
    cfg['delivery_status'] = {m[0]: (4, float(T0 - 4 * DAY) + 0.75),
                              m[2]: (2, float(T0 - 9 * DAY) + 0.5)}
    cfg['user_options'][m[0]] = 256 | 32
    good('en-only', 'us-ascii', cfg)
    w(root, 'locks/' + LOCK_TMP,
      '/usr/local/mailman/locks/' + LOCK_TMP)
    os.link(os.path.join(root, 'locks', LOCK_TMP),
            os.path.join(root, 'locks', 'en-only.lock'))

    # names-mixed: usernames as unicode and as latin-1 str, unicode prefix
    m = members_for('mm21-names', 8)
    cfg = config21('names-mixed', 'es', description='Nombres mezclados',
                   info='Lista con nombres de socios en unicode y en latin-1.',
                   members=m, subject_prefix=U('[Señal] '))
    cfg['usernames'] = {m[0]: U('José Núñez'), m[1]: U('Zoë Łukasiewicz'),
                        m[2]: 'María Pérez', m[3]: 'Plain Name',
                        m[4]: U('Ægir 😀 Emoji')}
    good('names-mixed', 'iso-8859-1', cfg)

    # zh-old: preferred_language 'big5' (dropped in 2.1.6: unknown in 2.1.39)
    m = members_for('mm21-zh', 4)
    cfg = config21('zh-old', 'big5', description='舊的中文討論區',
                   info='這是一個測試。', members=m,
                   available_languages=['big5', 'en'])
    good('zh-old', 'big5', cfg)

    # Upper-Case: a list name Mailman 2.1.20+ cannot see
    good('Upper-Case', 'us-ascii', config21(
        'Upper-Case', description='Invalid list name (upper case)',
        members=members_for('mm21-upper', 3)))

    # broken: config.pck truncated, config.pck.last good
    m = members_for('mm21-broken', 5)
    cfg = config21('broken', description='Broken config.pck', members=m)
    good('broken', 'us-ascii', cfg)
    data = py2pickle.dumps(py2(cfg, 'us-ascii'), 1)
    w(root, 'lists/broken/config.pck', data[:len(data) // 2] + b'\x00\xffGARBAGE')

    # hostile: config.pck runs a command via GLOBAL os.system + REDUCE
    m = members_for('mm21-hostile', 3)
    good('hostile', 'us-ascii', config21(
        'hostile', description='The good generation', members=m))
    w(root, 'lists/hostile/config.pck', hostile_pickle())

    # undecodable: bytes that are not us-ascii in an 'en' list
    good('undecodable', 'us-ascii', config21(
        'undecodable', description='Undecodable text',
        info=b'Welcome \xff\xfe to the list.\nSecond line \xe9t\xe9.',
        members=members_for('mm21-undec', 3)))

    # roster-mess: inconsistent member data for repair
    m = members_for('mm21-roster', 6)
    cfg = config21('roster-mess', description='Inconsistent roster',
                   members=m[:4], digest=m[3:5])   # m[3] in both
    cfg['members']['Upper.Case@Example.ORG'] = 0   # key not lower-case
    cfg['members']['not-an-address'] = 0            # invalid address
    cfg['passwords']['ghost@example.com'] = 'boo'   # non-member password
    cfg['user_options']['ghost@example.com'] = 256
    cfg['language']['ghost@example.com'] = 'en'
    cfg['delivery_status'][m[1]] = (4, float(T0 - DAY) + 0.5)  # no bounce_info
    local, domain = m[5].split('@')
    cfg['members'][m[5]] = local.title() + '@' + domain  # case-preserved
    cfg['passwords'][m[5]] = 'pw-case'
    cfg['user_options'][m[5]] = 256
    cfg['language'][m[5]] = 'en'
    good('roster-mess', 'us-ascii', cfg)

    # both-formats: config.db (2.0) and config.pck, config.db is newer
    m = members_for('mm21-both', 4)
    good('both-formats', 'us-ascii', config21(
        'both-formats', description='Upgraded, then config.db restored',
        members=m))
    db(root, 'both-formats', config20(
        'both-formats', description='Old 2.0 data', members=m[:2]),
       'us-ascii', 1)


# ---------------------------------------------------------------------------
# fixtures/mm20: a 2.0 installation after 2.1 "make install", before update

def make_mm20(root):
    write_install_dir(root, 'mm20', 'www.example.org', 'example.org')
    for fname, text in FLAT20_TEMPLATES.items():   # 2.0's flat templates
        w(root, 'templates/' + fname, text)
    write_language(root, 'en', 'us-ascii', EN_TEMPLATES, 'Mailing list')
    write_language(root, 'cs', 'iso-8859-2', CS_TEMPLATES, 'Konference')
    w(root, 'data/last_mailman_version', '0x20000f0\n')

    # cs: format 0, iso-8859-2 bytes, a 2.0 bounce record
    m = members_for('mm20-cs', 7)
    cfg = config20('cs', description='Česká konference',
                   info='Konference pro české uživatele.\nPříliš žluťoučký kůň.',
                   members=m[:6], digest=m[6:],
                   bounce={m[0]: [float(T0 - 5 * DAY) + 0.5, 12.0, 14.0]},
                   next_post_number=15, post_id=15.0)
    db(root, 'cs', cfg, 'iso-8859-2', 0)
    db(root, 'cs', dict(cfg, next_post_number=14, post_id=14.0),
       'iso-8859-2', 0, 'config.db.last')

    # es-general: format 1 (interned keys, back-references), latin-1, request.db
    m = members_for('mm20-es', 9)
    cfg = config20('es-general', description='Lista general en español',
                   info='Debates generales. Año 2001, señoras y señores.',
                   members=m, next_request_id=3,
                   moderated=0, member_posting_only=1,
                   forbidden_posters=['spam@example.com'],
                   linked_newsgroup=py2marshal.Interned(b''),
                   nntp_host=py2marshal.Interned(b''))
    db(root, 'es-general', cfg, 'iso-8859-1', 1)
    db(root, 'es-general', dict(cfg, next_request_id=2), 'iso-8859-1', 1,
       'config.db.last')
    reqs = {1: (2, (float(T0 - 3 * DAY) + 0.5, 'nuevo@example.net',
                    'clave1', 0)),
            2: (1, (float(T0 - 2 * DAY) + 0.25, 'intruso@example.com',
                    'Oferta', 'Post by non-member to a members-only list',
                    'heldmsg-es-general-2.txt', {'tolist': 1}))}
    w(root, 'lists/es-general/request.db',
      py2marshal.dumps(py2(reqs, 'iso-8859-1'), 0, intern_keys=False))
    w(root, 'data/heldmsg-es-general-2.txt',
      'From: intruso@example.com\nSubject: Oferta\n\nCompre ahora.\n')

    # veterans: format 1, pre-2.0b4 per-list templates in templates/veterans/
    m = members_for('mm20-vet', 4)
    cfg = config20('veterans', description='Old timers', members=m)
    db(root, 'veterans', cfg, 'us-ascii', 1)
    w(root, 'templates/veterans/listinfo.html',
      FLAT20_TEMPLATES['listinfo.html'].replace(
          '<MM-List-Info>', '<p>Veterans only (pre-b4 template).</p>\n<MM-List-Info>'))
    w(root, 'templates/veterans/subscribeack.txt',
      'Welcome, veteran!\nYour password is: %(password)s\n')

    # mailman: the site list, format 0
    db(root, 'mailman', config20('mailman', description='Site list',
                                 members=['mailman-owner@example.org'],
                                 advertised=0), 'us-ascii', 0)

    for name in ('cs', 'es-general', 'veterans', 'mailman'):
        for t in PER_LIST_20:
            text = FLAT20_TEMPLATES[t]
            if name == 'es-general' and t == 'listinfo.html':
                text = text.replace('<MM-List-Info>',
                                    '<p>Bienvenidos.</p>\n<MM-List-Info>')
            w(root, 'lists/%s/%s' % (name, t), text)
        archive20(root, name, public=(name != 'mailman'))

    pending = {
        424242: (b'pendiente@example.org', b'pw-pend', 0, b'es-general',
                 T0 - DAY),
        'lastculltime': T0 - DAY,
    }
    w(root, 'data/pending_subscriptions.db',
      py2marshal.dumps(py2(pending, 'ascii'), 1, intern_keys=False))


MAKERS = {'demo': make_demo, 'mm21': make_mm21, 'mm20': make_mm20}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(REPO, 'fixtures'))
    ap.add_argument('--touch', metavar='DIR',
                    help='re-apply mtimes/hard links/empty dirs to DIR')
    ap.add_argument('names', nargs='*', help=' '.join(sorted(MAKERS)))
    args = ap.parse_args(argv)
    for n in args.names:
        if n not in MAKERS:
            ap.error('unknown fixture %r' % n)
    if args.touch:
        touch(args.touch)
        return 0
    names = args.names or sorted(MAKERS)
    for n in names:
        root = os.path.join(args.out, n)
        if os.path.lexists(root):
            shutil.rmtree(root)
        os.makedirs(root)
        MAKERS[n](root)
        touch(root)
        size = sum(os.lstat(os.path.join(d, f)).st_size
                   for d, _, fs in os.walk(root) for f in fs)
        print('%s: %d bytes' % (root, size))
    return 0


if __name__ == '__main__':
    sys.exit(main())
