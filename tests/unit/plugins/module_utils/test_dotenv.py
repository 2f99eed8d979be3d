"""The .env parser/editor keeps every untouched byte and never prints content in errors."""

import re

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils import dotenv

SAMPLE = (
    "# production settings\n"
    "SECRET_KEY=s3cr3t-value\n"
    'DB_PASS="p@ss word"\n'
    "export DEBUG=False  # inline comment\n"
    'FCM_PRIVATE_KEY="-----BEGIN KEY-----\nabc\n-----END KEY-----"\n'
    "\n"
    "MEMCACHED_LOCATION=memcached:11211\n"
    "REDIS_PORT=6380\n"
)


def test_parse_reads_values_like_compose():
    values = dotenv.values(dotenv.parse(SAMPLE))
    assert values["DB_PASS"] == "p@ss word"
    assert values["DEBUG"] == "False"
    assert values["FCM_PRIVATE_KEY"] == "-----BEGIN KEY-----\nabc\n-----END KEY-----"
    assert dotenv.render(dotenv.parse(SAMPLE)) == SAMPLE


def test_apply_changes_only_managed_keys_and_keeps_order():
    entries, changed, removed = dotenv.apply(
        dotenv.parse(SAMPLE), {"REDIS_PORT": "6379", "REDIS_HOST": "bs-redis"}, ["MEMCACHED_LOCATION"], "# Redis"
    )
    text = dotenv.render(entries)
    assert changed == ["REDIS_PORT", "REDIS_HOST"]
    assert removed == ["MEMCACHED_LOCATION"]
    assert text == SAMPLE.replace("MEMCACHED_LOCATION=memcached:11211\n", "").replace(
        "REDIS_PORT=6380\n", "REDIS_PORT=6379\n# Redis\nREDIS_HOST=bs-redis\n"
    )


def test_apply_is_idempotent():
    once = dotenv.apply(dotenv.parse(SAMPLE), {"REDIS_HOST": "bs-redis"}, [], "# Redis")[0]
    twice, changed, removed = dotenv.apply(once, {"REDIS_HOST": "bs-redis"}, [], "# Redis")
    assert dotenv.render(twice) == dotenv.render(once)
    assert (changed, removed) == ([], [])


def test_duplicate_assignment_of_a_managed_key_is_removed():
    entries, removed = dotenv.apply(dotenv.parse("A=1\nA=2\n"), {"A": "3"}, [])[::2]
    assert dotenv.render(entries) == "A=3\n"
    assert removed == ["A"]


def test_file_without_final_newline_gets_one_before_appended_keys():
    entries = dotenv.apply(dotenv.parse("A=1"), {"B": "2"}, [])[0]
    assert dotenv.render(entries) == "A=1\nB=2\n"


@pytest.mark.parametrize(
    ("content", "line"),
    [("A=1\nhunter2 is not valid\n", 2), ('A=1\nB="hunter2\nC=3\n', 2), ("=hunter2\n", 1)],
)
def test_malformed_lines_name_the_line_not_the_content(content, line):
    with pytest.raises(dotenv.DotenvError) as err:
        dotenv.parse(content)
    assert "line %d" % line in str(err.value)
    assert "hunter2" not in str(err.value)


def test_values_needing_quotes_are_single_quoted():
    assert dotenv.format_value("redis://bs-redis:6379/1") == "redis://bs-redis:6379/1"
    assert dotenv.format_value("has space$HOME") == "'has space$HOME'"
    with pytest.raises(dotenv.DotenvError):
        dotenv.format_value("it's")


def test_redacted_view_masks_secrets_comments_and_unmanaged_values():
    entries = dotenv.apply(
        dotenv.parse(SAMPLE), {"REDIS_URL": "redis://:pw@bs-redis:6379/1", "REDIS_HOST": "bs-redis"}, [], "# Redis"
    )[0]
    view = dotenv.redacted(entries, {"REDIS_URL", "REDIS_HOST"}, ("# Redis",))
    assert "s3cr3t" not in view and "p@ss" not in view and "production settings" not in view
    assert "BEGIN KEY" not in view and ":pw@" not in view
    assert "REDIS_URL=redis://********@bs-redis:6379/1" in view
    assert "REDIS_HOST=bs-redis" in view
    assert "# Redis" in view


def test_compare_lists_changed_and_removed_keys():
    before = dotenv.parse("A=1\nB=2\n")
    after = dotenv.parse("A=1\nB=3\nC=4\n")
    assert dotenv.compare(before, after) == (["B", "C"], [])
    assert dotenv.compare(before=after, after=before) == (["B"], ["C"])  # the other way round


@pytest.mark.parametrize(
    ("content", "reason", "message"),
    [
        (None, "file", r"^cannot read .*/\.env: No such file or directory$"),
        (b"A=1\nnot an assignment s3cr3t\n", "format", r"^.*/\.env: line 2 is not KEY=VALUE"),
        (b"A=\xff\n", "format", r"^.*/\.env is not UTF-8 text$"),
    ],
)
def test_a_file_that_cannot_be_loaded_says_why_by_reason_never_with_its_content(tmp_path, content, reason, message):
    env = tmp_path / ".env"
    if content is not None:
        env.write_bytes(content)
    with pytest.raises(dotenv.DotenvFileError) as err:
        dotenv.load_values(str(env))
    assert err.value.reason == reason and re.search(message, str(err.value)) and "s3cr3t" not in str(err.value)


def test_a_file_loads_as_its_values(tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(b"# comment\nA=1\nexport B='two words'\n")
    assert dotenv.load_values(str(env)) == {"A": "1", "B": "two words"}


def test_wanted_values_are_text_with_the_secret_ones_named_and_bad_keys_refused():
    wanted, secrets = dotenv.wanted_values(
        {"REDIS_PORT": 6379, "REDIS_URL": "redis://:pw-1234@r:6379/1", "X": None}, []
    )
    assert wanted == {"REDIS_PORT": "6379", "REDIS_URL": "redis://:pw-1234@r:6379/1", "X": ""}
    assert secrets == ["redis://:pw-1234@r:6379/1"]
    for bad_set, bad_remove in (({"NOT A KEY": "1"}, []), ({}, ["1BAD"])):
        with pytest.raises(dotenv.DotenvError, match=r"is not a valid \.env key name"):
            dotenv.wanted_values(bad_set, bad_remove)
