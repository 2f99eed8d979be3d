"""Carrying the collection's rendered .env over to a fresh stack's secrets (bench/stack.py rekey)."""

import pytest

from bench.stack import rekey

BEFORE = '# settings\nSECRET_KEY="aaa"\nDB_PASS=bbb\nDB_NAME=crm\nMEMCACHED_LOCATION=memcached:11211\n'
RENDERED = (
    '# settings\nSECRET_KEY="aaa"\nDB_PASS=bbb\nDB_NAME=crm\n'
    "# Redis (managed)\nREDIS_URL=redis://bs-redis:6379/1\nPGQUEUE_CHANNEL=0\n"
)
CURRENT = '# settings\nSECRET_KEY="xxx"\nDB_PASS=yyy\nDB_NAME=crm\nMEMCACHED_LOCATION=memcached:11211\n'


def test_the_current_stacks_secrets_replace_the_rendered_ones_and_the_roles_keys_stay():
    assert rekey(RENDERED, BEFORE, CURRENT) == (
        '# settings\nSECRET_KEY="xxx"\nDB_PASS=yyy\nDB_NAME=crm\n'
        "# Redis (managed)\nREDIS_URL=redis://bs-redis:6379/1\nPGQUEUE_CHANNEL=0\n"
    )


def test_the_same_stack_gets_the_rendered_file_unchanged():
    assert rekey(RENDERED, BEFORE, BEFORE) == RENDERED


def test_a_key_both_rendered_and_different_between_stacks_is_refused():
    rendered = RENDERED.replace("DB_PASS=bbb", "DB_PASS=changed")
    with pytest.raises(ValueError, match="DB_PASS"):
        rekey(rendered, BEFORE, CURRENT)


def test_stacks_with_different_keys_are_refused():
    with pytest.raises(ValueError, match="same keys"):
        rekey(RENDERED, BEFORE, CURRENT + "EXTRA=1\n")
