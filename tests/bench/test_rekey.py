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
    with pytest.raises(ValueError, match="same entries"):
        rekey(RENDERED, BEFORE, CURRENT + "EXTRA=1\n")


def test_env_differences_name_lines_and_keys_never_values():
    from bench.stack import env_differences

    differences = env_differences(CURRENT, CURRENT.replace("yyy", "zzz").replace("# settings", "# other"))
    assert differences == ["line 1: (comment or blank)", "line 3: DB_PASS"]
    assert "zzz" not in " ".join(differences)


def test_a_comment_that_differs_between_the_stacks_is_carried_over_too():
    before, current = "# made with aaa\n" + BEFORE, "# made with xxx\n" + CURRENT
    assert rekey("# made with aaa\n" + RENDERED, before, current).startswith(
        '# made with xxx\n# settings\nSECRET_KEY="xxx"\n'
    )
