# -*- coding: utf-8 -*-
# Copyright (c) RevisBali operations
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Round-trip loading and dumping of a compose file with ruamel.yaml, and edits that keep comments.

ruamel.yaml keeps comments, blank lines, quoting, flow style and anchors, but attaches each comment
line to a neighbouring node: lines after a block end hang on its deepest last entry ("tail"), lines
before a key can hang on that key ("pre"). Removing or adding an entry therefore moves those lines to
the neighbour that now stands where the entry was, so no comment or blank line is lost or displaced.
Controller side only (Python >= 3.11); ruamel.yaml is imported on first use.
"""

from __future__ import annotations

import functools
import io
import re
import types
from collections import Counter

MISSING_RUAMEL = "ruamel.yaml is needed on the Ansible controller: pip install ruamel.yaml==0.19.1"
PRE, TAIL_MAP, TAIL_SEQ = 1, 2, 0  # slots of ruamel's per-entry comment lists
WIDTH = 1 << 20  # never re-wrap a long line
DOC_START_RE = re.compile(r"\A((?:[ \t]*(?:#[^\n]*)?\n|%[^\n]*\n)*---[ \t]*(?:#[^\n]*)?\n)")
# A line holding only a key ("key:", "- key:", "key: &anchor", with an optional comment).
KEY_ONLY_RE = re.compile(r"""^(?P<lead> *(?:- +)*)(?:"[^"]*"|'[^']*'|[^\s#'"][^#]*?):(?:\s+&\S+)?\s*(?:#.*)?$""")
# Strings written double-quoted in new nodes besides those YAML 1.2 reads as another type: those a
# YAML 1.1 reader (PyYAML, yamllint) would not read as strings (22:22, yes, 0755), and port mappings
# ("6379:6379", "127.0.0.1:6379:6379/tcp"), which compose's own documentation quotes.
QUOTED_STR_RE = re.compile(
    r"[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?|0[0-7_]+|(?i:y|n|yes|no|on|off)|[\d.]+(?::[\d.-]+)+(?:/\w+)?"
)
BLOCK_SCALAR_RE = re.compile(r":\s*[|>][-+0-9]*\s*(?:#.*)?$")


class ComposeEditError(Exception):
    """The compose file is refused; the message names the service/key and what to set or change."""


class SpelledNull(object):
    """A null the file spells null, ~ or Null (ruamel.yaml alone would write it back empty)."""

    __slots__ = ("spelling",)

    def __init__(self, spelling):
        self.spelling = spelling


@functools.lru_cache(maxsize=None)
def _ruamel():
    """The ruamel.yaml pieces this module uses, imported on first use."""
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
        from ruamel.yaml.constructor import RoundTripConstructor
        from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
        from ruamel.yaml.nodes import ScalarNode
        from ruamel.yaml.representer import RoundTripRepresenter
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
        from ruamel.yaml.tokens import CommentToken
    except ImportError:
        raise ComposeEditError(MISSING_RUAMEL) from None

    class Constructor(RoundTripConstructor):
        """Round-trip constructor that remembers how a null was spelled."""

    class Representer(RoundTripRepresenter):
        """Round-trip representer that writes a null the way it was spelled."""

    def construct_null(constructor, node):
        return SpelledNull(node.value) if node.value else None

    def represent_null(representer, data):
        return representer.represent_scalar("tag:yaml.org,2002:null", data.spelling)

    Constructor.add_constructor("tag:yaml.org,2002:null", construct_null)
    Representer.add_representer(SpelledNull, represent_null)
    return types.SimpleNamespace(
        YAML=YAML,
        CommentedMap=CommentedMap,
        CommentedSeq=CommentedSeq,
        merge_attrib=merge_attrib,
        Constructor=Constructor,
        Representer=Representer,
        CommentMark=CommentMark,
        MarkedYAMLError=MarkedYAMLError,
        YAMLError=YAMLError,
        ScalarNode=ScalarNode,
        DoubleQuotedScalarString=DoubleQuotedScalarString,
        ScalarString=ScalarString,
        CommentToken=CommentToken,
    )


def is_map(value):
    return isinstance(value, _ruamel().CommentedMap)


def is_seq(value):
    return isinstance(value, _ruamel().CommentedSeq)


def is_null(value):
    return value is None or isinstance(value, SpelledNull)


def own_keys(mapping):
    """Keys written in this mapping (not those a ``<<`` merge brings in)."""
    return [key for key, _value in mapping.non_merged_items()]


def is_own(mapping, key):
    return key in own_keys(mapping)


def is_flow(node):
    return bool(node.fa.flow_style()) if (is_map(node) or is_seq(node)) else False


def plain(value):
    """Plain dicts/lists/scalars (merges resolved), for comparisons and for callers."""
    if is_map(value):
        return {plain(k): plain(v) for k, v in value.items()}
    if is_seq(value):
        return [plain(v) for v in value]
    if is_null(value):
        return None
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def detect_indent(text):
    """(mapping, sequence, offset) as ruamel.yaml takes them, the most common in the file.

    ``sequence`` is the column of an item's content and ``offset`` the column of its dash, both
    relative to the parent key. Defaults (no nested block of that kind): 2, and dashes indented by
    the mapping indent.
    """
    steps, seqs = Counter(), Counter()
    previous = None  # (key column) of a key-only line
    block_scalar_col = None
    for raw in text.splitlines():
        stripped = raw.strip()
        col = len(raw) - len(raw.lstrip(" "))
        if block_scalar_col is not None:
            if not stripped or col > block_scalar_col:
                continue
            block_scalar_col = None
        if not stripped or stripped.startswith("#"):
            continue
        if previous is not None:
            if stripped.startswith("- "):
                after = raw[col + 1 :]
                content = col + 1 + len(after) - len(after.lstrip(" "))
                if col >= previous:
                    seqs[(content - previous, col - previous)] += 1
            elif col > previous:
                steps[col - previous] += 1
        match = KEY_ONLY_RE.match(raw)
        previous = len(match.group("lead")) if match else None
        if BLOCK_SCALAR_RE.search(raw):
            block_scalar_col = col
    mapping = steps.most_common(1)[0][0] if steps else 2
    sequence, offset = seqs.most_common(1)[0][0] if seqs else (mapping + 2, mapping)
    return mapping, max(sequence, offset + 2), offset


class ComposeDocument(object):
    """One compose file loaded round-trip; ``dump()`` writes it back with the file's own layout."""

    def __init__(self, text):
        r = _ruamel()
        if not isinstance(text, str):
            raise ComposeEditError("the compose file text must be a string, got %s" % type(text).__name__)
        self.crlf = "\r\n" in text
        text = text.replace("\r\n", "\n")
        self.final_newline = text.endswith("\n") or not text
        # ruamel drops what comes before an explicit '---' (comments, directives): kept verbatim.
        match = DOC_START_RE.match(text)
        self.prefix = match.group(1) if match else ""
        body = text[len(self.prefix) :]
        self.yaml = r.YAML(typ="rt")
        self.yaml.Constructor = r.Constructor
        self.yaml.Representer = r.Representer
        self.yaml.preserve_quotes = True
        self.yaml.width = WIDTH
        mapping, sequence, offset = detect_indent(body)
        self.yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        self.indent = mapping
        try:
            self.data = self.yaml.load(body)
        except r.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 + self.prefix.count("\n") if mark is not None else "?"
            raise ComposeEditError(
                "the compose file does not parse as YAML (line %s): %s" % (line, _problem(exc))
            ) from None
        except r.YAMLError as exc:
            raise ComposeEditError("the compose file does not parse as YAML: %s" % type(exc).__name__) from None
        _keep_anchors(self.data, set())

    def dump(self):
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        text = self.prefix + out.getvalue()
        if not self.final_newline:
            text = text[:-1]
        return text.replace("\n", "\r\n") if self.crlf else text

    def node(self, value):
        """A plain dict/list/scalar as block-style ruamel nodes; strings YAML would read as another
        type (numbers, booleans, null, yes/no) double-quoted, the way compose files quote them."""
        r = _ruamel()
        if isinstance(value, dict):
            mapping = r.CommentedMap()
            for key, item in value.items():
                mapping[key] = self.node(item)
            return mapping
        if isinstance(value, (list, tuple)):
            return r.CommentedSeq([self.node(item) for item in value])
        if isinstance(value, str) and not isinstance(value, r.ScalarString) and self._needs_quotes(value):
            return r.DoubleQuotedScalarString(value)
        return value

    def _needs_quotes(self, value):
        r = _ruamel()
        tag = self.yaml.resolver.resolve(r.ScalarNode, value, (True, False))
        return tag != "tag:yaml.org,2002:str" or bool(QUOTED_STR_RE.fullmatch(value))


def _keep_anchors(node, seen):
    """Anchors are written even when the edit removed their last alias (ruamel would drop them)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if anchor_name(node):
        node.anchor.always_dump = True
    if is_map(node):
        for child in [node[key] for key in own_keys(node)] + merge_sources(node):
            _keep_anchors(child, seen)
    elif is_seq(node):
        for child in node:
            _keep_anchors(child, seen)


def _problem(exc):
    """The parser's complaint without file content (a duplicate key's message quotes values)."""
    problem = exc.problem or exc.context or "invalid YAML"
    if problem.startswith("found duplicate key"):
        key = re.match(r'found duplicate key "([^"]*)"', problem)
        return "duplicate key %r" % (key.group(1) if key else "?")
    return problem


# --- comment lines around entries ------------------------------------------------------------


def _token(value, column=0):
    r = _ruamel()
    return r.CommentToken(value, r.CommentMark(column), None)


def _slot_list(container, key):
    return container.ca.items.setdefault(key, [None, None, None, None])


def _written_here(container, key, value):
    """False where an anchored node appears as an alias: its lines (and the comments after them)
    are where the anchor is defined, which comes before this key."""
    if not anchor_name(value):
        return True
    try:
        where = container.lc.key(key) if is_map(container) else container.lc.item(key)
        return value.lc.line is None or where is None or value.lc.line >= where[0]
    except (AttributeError, KeyError, IndexError, TypeError):
        return True


def _tail_holder(container, key):
    """(container, key, slot) holding the comment lines after the entry's last line."""
    value = container[key]
    while (
        (is_map(value) or is_seq(value)) and not is_flow(value) and len(value) and _written_here(container, key, value)
    ):
        container = value
        key = own_keys(value)[-1] if is_map(value) else len(value) - 1
        value = container[key]
    return container, key, TAIL_MAP if is_map(container) else TAIL_SEQ


def _split_tail(value):
    """A tail token's text as (end-of-line comment or '', following lines)."""
    if value.startswith("#"):
        end = value.find("\n")
        return (value, "") if end < 0 else (value[: end + 1], value[end + 1 :])
    return "", value[1:] if value.startswith("\n") else value


def _get_tail(container, key):
    holder, hkey, slot = _tail_holder(container, key)
    token = holder.ca.items.get(hkey, [None] * 4)[slot]
    return holder, hkey, slot, token


def take_tail(container, key, keep_eol=True):
    """Detach the lines after an entry (its own end-of-line comment stays unless keep_eol is
    False); returns them as text, each line ending in a newline."""
    holder, hkey, slot, token = _get_tail(container, key)
    if token is None:
        return ""
    eol, rest = _split_tail(token.value)
    if keep_eol and eol:
        token.value = eol
    else:
        holder.ca.items[hkey][slot] = None
    return rest


def give_tail(container, key, lines):
    """Append comment/blank lines (text from take_tail) after an entry's last line."""
    if not lines:
        return
    holder, hkey, slot, token = _get_tail(container, key)
    if token is None:
        _slot_list(holder, hkey)[slot] = _token("\n" + lines)
    else:
        eol, rest = _split_tail(token.value)
        token.value = (eol or "\n") + rest + lines


def take_pre(mapping, key):
    """Detach the comment/blank lines ruamel keeps before a mapping key; returns them as text."""
    slots = mapping.ca.items.get(key)
    if not slots or not slots[PRE]:
        return ""
    tokens, slots[PRE] = slots[PRE], None
    return "".join(" " * token.column + token.value if token.value.strip() else token.value for token in tokens)


def give_pre(mapping, key, lines):
    """Put comment/blank lines (text) before a mapping key, ahead of those already there."""
    if not lines:
        return
    tokens = []
    for line in lines.splitlines():
        text = line.lstrip(" ")
        tokens.append(_token(text + "\n", len(line) - len(text)) if text else _token("\n"))
    slots = _slot_list(mapping, key)
    slots[PRE] = tokens + (slots[PRE] or [])


def _keys_of(container):
    return own_keys(container) if is_map(container) else list(range(len(container)))


def remove_entry(container, key):
    """Delete a key or item; the comment lines before and after it stay where it was. Returns the
    lines it could not place (the container became empty) for the caller to place."""
    keys = _keys_of(container)
    index = keys.index(key)
    lines = (take_pre(container, key) if is_map(container) else "") + take_tail(container, key, keep_eol=False)
    del container[key]
    if not lines:
        return ""
    if index > 0:
        give_tail(container, keys[index - 1], lines)
    elif len(keys) > 1 and is_map(container):
        give_pre(container, keys[1], lines)
    elif len(keys) > 1:
        give_tail(container, 0, lines)  # rare: lines under a sequence's first item
    else:
        return lines
    return ""


def replace_entry(mapping, old, new, value):
    """Put ``new: value`` where ``old`` was; the lines around ``old`` go with it (its own
    end-of-line comment, which describes ``old``, does not)."""
    position = own_keys(mapping).index(old)
    pre = take_pre(mapping, old)
    tail = take_tail(mapping, old, keep_eol=False)
    del mapping[old]
    mapping.insert(position, new, value)
    give_pre(mapping, new, pre)
    give_tail(mapping, new, tail)


def replace_item(sequence, index, value):
    """Replace a sequence item in place (its quoting style kept, its end-of-line comment dropped)."""
    tail = take_tail(sequence, index, keep_eol=False)
    sequence[index] = value
    give_tail(sequence, index, tail)


def append_entry(container, key, value):
    """Add a key (mapping) or item (sequence, key ignored) at the end; the lines that followed the
    old last entry (blank line before the next block, comments) now follow the new one."""
    keys = _keys_of(container)
    tail = take_tail(container, keys[-1]) if keys else ""
    if is_map(container):
        container[key] = value
        give_tail(container, key, tail)
    else:
        container.append(value)
        give_tail(container, len(container) - 1, tail)


def merge_sources(mapping):
    """The mappings a ``<<`` merge key brings into this one, in merge order."""
    r = _ruamel()
    sources = getattr(mapping, r.merge_attrib, None) or []
    return [source[1] if isinstance(source, tuple) else source for source in sources]


def anchor_name(node):
    anchor = getattr(node, "anchor", None)
    return getattr(anchor, "value", None)


def trim_end(mapping):
    """Drop blank lines at the very end of the document (left by a removed last section)."""
    keys = own_keys(mapping)
    if not keys:
        return
    holder, hkey, slot, token = _get_tail(mapping, keys[-1])
    if token is None:
        return
    eol, rest = _split_tail(token.value)
    lines = rest.split("\n")[:-1]
    while lines and not lines[-1].strip():
        lines.pop()
    value = (eol or "\n") + "".join(line + "\n" for line in lines)
    if value == "\n":
        holder.ca.items[hkey][slot] = None
    else:
        token.value = value
