"""The round-trip layer: indentation detection, nulls and anchors kept, new nodes quoted like compose files."""

from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.plugin_utils.compose_yaml import (
    ComposeDocument,
    detect_indent,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a:\n  b:\n    - x\n", (2, 4, 2)),
        ("a:\n  b:\n  - x\n", (2, 2, 0)),
        ("a:\n    b:\n        - x\n", (4, 6, 4)),
        ("a:\n    b:\n      - x\n", (4, 4, 2)),
        ("a:\n    b: 1\n", (4, 6, 4)),  # no block sequence: dashes indented like mappings
        ("a: |\n      - not: a sequence\n        x:\nb:\n  c: 1\n", (2, 4, 2)),  # block scalar lines ignored
        ("a:\n  # comment\n\n  b:\n    - x\n", (2, 4, 2)),
    ],
)
def test_detect_indent(text, expected):
    assert detect_indent(text) == expected


def test_an_unedited_document_is_written_back_unchanged():
    text = (
        "# head\nx-a: &a\n  k: v\nservices:\n  s:\n    <<: *a\n    n1: null\n    n2: ~\n    n3:\n    n4: Null\n"
        "    q: 'single'\n    d: \"double\"\n    o: 0o17\n    f: [a, {b: c, d: e}]\n    long: "
        + " ".join(["x"] * 200)
        + "\n"
    )
    assert ComposeDocument(text).dump() == text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("300", '"300"'), ("yes", '"yes"'), ("22:22", '"22:22"'), ("6379:6379", '"6379:6379"'),
        ("127.0.0.1:6379:6379/tcp", '"127.0.0.1:6379:6379/tcp"'), ("0755", '"0755"'), ("null", '"null"'),
        ("redis-server", "redis-server"), ("200mb", "200mb"), ("redis_data:/data", "redis_data:/data"),
    ],
)  # fmt: skip
def test_new_strings_are_quoted_only_when_yaml_could_read_them_otherwise(value, written):
    doc = ComposeDocument("a: 1\n")
    doc.data["b"] = doc.node([value])
    assert doc.dump() == "a: 1\nb:\n  - %s\n" % written
