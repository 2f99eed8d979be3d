"""Text and data views of compose files for the edit tests: which lines belong to which service,
which data paths differ."""

from __future__ import annotations

import difflib
import re

import yaml

KEY_RE = re.compile(r"^(?P<indent> *)(?P<key>[^\s#][^:]*):(?:\s|$)")


def top_blocks(text):
    """Top-level key -> its lines (comment and blank lines go with the block above them)."""
    return _blocks(text.splitlines(), 0)


def service_blocks(text):
    """Service name -> its lines, as written in the file (comments below a service belong to it)."""
    lines = top_blocks(text)["services"][1:]
    first = next(line for line in lines if line.strip() and not line.lstrip().startswith("#"))
    return _blocks(lines, len(first) - len(first.lstrip()))


def _blocks(lines, indent):
    blocks, current = {}, None
    for line in lines:
        match = KEY_RE.match(line)
        if match and len(match.group("indent")) == indent:
            current = match.group("key").strip("'\"")
            blocks[current] = []
        if current is not None:
            blocks[current].append(line)
    return blocks


def changed_lines(before, after):
    """(lines only in before, lines only in after), in order."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def load(text):
    return yaml.safe_load(text)


def diff_paths(a, b, at=()):
    """Dotted paths where two parsed files differ (a key on one side only, or unequal values)."""
    if isinstance(a, dict) and isinstance(b, dict):
        paths = set()
        for key in set(a) | set(b):
            if key not in a or key not in b:
                paths.add(".".join((*at, str(key))))
            else:
                paths |= diff_paths(a[key], b[key], (*at, str(key)))
        return paths
    return set() if a == b else {".".join(at)}
