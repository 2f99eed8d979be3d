from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError
from ansible_collections.revisbali.business_suite.plugins.module_utils.input_checks import (
    require_port,
    require_positive,
    require_text,
)


@pytest.mark.parametrize(
    ("check", "params", "message"),
    [
        (lambda p: require_positive(p, ("ttl", "timeout")), dict(ttl=1, timeout=0), "timeout: must be greater than 0"),
        (lambda p: require_port(p, "port", "redis."), dict(port=0), "redis.port: 0 is outside 1-65535"),
        (lambda p: require_text(p, ("host",)), dict(host=""), "host: must not be empty"),
    ],
)
def test_the_first_bad_field_is_named(check, params, message):
    with pytest.raises(InputError) as raised:
        check(params)
    assert raised.value.msg.startswith(message) and raised.value.reason == "input"


def test_good_values_pass():
    params = dict(ttl=0.5, port=65535, host="cache")
    assert require_positive(params, ("ttl",)) is None
    assert require_port(params, "port") is None
    assert require_text(params, ("host",)) is None
