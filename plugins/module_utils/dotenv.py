# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit a docker-compose style .env file by key, keeping every other byte where it was.

The file is split into entries: one per line, except that a quoted value may span lines
(compose's dotenv parser allows that). Untouched entries are written back verbatim, so comments,
blank lines, quoting and order survive. Rendering for diffs masks values, never the structure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.common.text.converters import to_text

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
KEY_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$", re.DOTALL)
PLAIN_VALUE_RE = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")
SECRET_NAME_RE = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE", re.IGNORECASE)
URL_CREDENTIALS_RE = re.compile(r"^([a-z][a-z0-9+.-]*://)([^@/]*:[^@/]*)@", re.IGNORECASE)
MASK = "********"


class DotenvError(Exception):
    """The file cannot be parsed; the message never quotes file content."""


class DotenvFileError(DotenvError):
    """A .env file that cannot be read (``reason`` file) or is not a .env (``reason`` format); the message names the
    file, never its content."""

    def __init__(self, reason, msg):
        super(DotenvFileError, self).__init__(msg)
        self.reason = reason


class Entry(object):
    """One logical line: a comment/blank (key is None) or an assignment."""

    def __init__(self, raw, key=None, value=None):
        self.raw = raw
        self.key = key
        self.value = value


def _unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    # An unquoted value ends at an inline comment.
    return re.split(r"\s+#", text, maxsplit=1)[0].strip()


def _open_quote(text):
    """The quote character a value opens without closing on this line, else None."""
    text = text.strip()
    if text[:1] in ("'", '"'):
        quote = text[0]
        rest = text[1:]
        if quote == '"':
            rest = rest.replace('\\"', "")
        if quote not in rest:
            return quote
    return None


def parse(content):
    """Split content into entries. Raises DotenvError naming the line number of a bad line."""
    entries = []
    lines = content.splitlines(True)
    index = 0
    while index < len(lines):
        start = index
        raw = lines[index]
        index += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            entries.append(Entry(raw))
            continue
        match = KEY_RE.match(raw.rstrip("\r\n"))
        if not match:
            raise DotenvError("line %d is not KEY=VALUE, a comment or a blank line (content not shown)" % (start + 1))
        key, value = match.group(1), match.group(2)
        quote = _open_quote(value)
        if quote:
            while index < len(lines) and quote not in lines[index].replace('\\"', ""):
                raw += lines[index]
                index += 1
            if index >= len(lines):
                raise DotenvError("line %d opens a quoted value that is never closed" % (start + 1))
            raw += lines[index]
            index += 1
            value = raw.split("=", 1)[1].rstrip("\r\n")
        entries.append(Entry(raw, key, _unquote(value)))
    return entries


def format_value(value):
    """Quote a value only when compose would otherwise read it differently."""
    if PLAIN_VALUE_RE.match(value):
        return value
    if "'" in value or "\n" in value:
        raise DotenvError("a value to write contains a single quote or a newline; such values are not supported")
    # Single quotes: compose does no ${...} interpolation inside them.
    return "'%s'" % value


def apply(entries, set_values, remove_keys, header=None):
    """Return new entries with set_values assigned and remove_keys gone, and what changed."""
    set_values = dict(set_values or {})
    remove_keys = set(remove_keys or [])
    changed_keys, removed = [], []
    result, seen = [], set()
    for entry in entries:
        if entry.key in remove_keys:
            removed.append(entry.key)
            continue
        if entry.key in set_values:
            if entry.key in seen:
                # A duplicate later assignment would override ours when compose reads the file.
                removed.append(entry.key)
                continue
            seen.add(entry.key)
            wanted = set_values[entry.key]
            if entry.value != wanted:
                eol = "\n" if entry.raw.endswith("\n") else ""
                entry = Entry("%s=%s%s" % (entry.key, format_value(wanted), eol), entry.key, wanted)
                changed_keys.append(entry.key)
        result.append(entry)
    missing = [key for key in set_values if key not in seen]
    if missing:
        if result and not result[-1].raw.endswith("\n"):
            result[-1] = Entry(result[-1].raw + "\n", result[-1].key, result[-1].value)
        if header and not any(entry.raw.strip() == header.strip() for entry in result):
            result.append(Entry(header.rstrip("\n") + "\n"))
        for key in missing:
            result.append(Entry("%s=%s\n" % (key, format_value(set_values[key])), key, set_values[key]))
            changed_keys.append(key)
    return result, changed_keys, removed


def wanted_values(set_values, remove_keys):
    """The values to set, as text, and those among them that must not be printed; DotenvError naming the first key
    (to set or to remove) that is not a valid .env name. Checked before any file is read."""
    wanted = dict((key, "" if value is None else to_text(value)) for key, value in (set_values or {}).items())
    for key in list(wanted) + list(remove_keys or []):
        if not NAME_RE.match(key):
            raise DotenvError("'%s' is not a valid .env key name" % key)
    return wanted, [value for key, value in wanted.items() if is_secret(key, value)]


def render(entries):
    return "".join(entry.raw for entry in entries)


def is_secret(key, value):
    """Values that must not be printed: secret-looking names, or URLs carrying credentials."""
    if key and SECRET_NAME_RE.search(key) and key != "CACHE_KEY_PREFIX":
        return True
    return bool(value and URL_CREDENTIALS_RE.match(value))


def mask_value(key, value, shown_keys):
    if key in shown_keys and not is_secret(key, value):
        return value
    if key in shown_keys and value and URL_CREDENTIALS_RE.match(value):
        return URL_CREDENTIALS_RE.sub(lambda m: m.group(1) + MASK + "@", value)
    return MASK


def redacted(entries, shown_keys, shown_comments=()):
    """A view for diffs: structure and the shown (managed, non-secret) values only.

    Comments are replaced too, except the role's own header: people do write old passwords into them.
    """
    lines = []
    for entry in entries:
        if entry.key is None:
            stripped = entry.raw.strip()
            lines.append(stripped if stripped in shown_comments or not stripped else "# ...")
        else:
            lines.append("%s=%s" % (entry.key, mask_value(entry.key, entry.value, shown_keys)))
    return "\n".join(lines) + ("\n" if lines else "")


def values(entries):
    return dict((entry.key, entry.value) for entry in entries if entry.key is not None)


def read_text(path):
    """The text of the file at ``path``, or DotenvFileError saying why not (never quoting it)."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except (IOError, OSError) as exc:
        raise DotenvFileError("file", "cannot read %s: %s" % (path, exc.strerror or exc)) from None
    except UnicodeError:
        raise DotenvFileError("format", "%s is not UTF-8 text" % path) from None


def parse_file(path, text):
    """``text`` (the content of ``path``) parsed, or DotenvFileError ``format`` naming the file and the line."""
    try:
        return parse(text)
    except DotenvError as exc:
        raise DotenvFileError("format", "%s: %s" % (path, exc)) from None


def load_values(path):
    """The values by key of the .env at ``path``, or DotenvFileError saying why not."""
    return values(parse_file(path, read_text(path)))


def compare(before, after):
    """Keys whose value differs or appears (changed) and keys that disappear (removed)."""
    old, new = values(before), values(after)
    changed = [key for key in new if old.get(key) != new[key]]
    removed = [key for key in old if key not in new]
    return changed, removed
