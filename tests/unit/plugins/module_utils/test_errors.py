from __future__ import annotations

import pytest

from ansible_collections.revisbali.business_suite.plugins.module_utils.errors import InputError, ProbeError


def test_errors_carry_a_known_reason():
    assert InputError("port", "bad").msg == "port: bad"
    assert InputError("port", "bad").reason == "input"
    assert ProbeError("acl", "denied", key="k").facts == {"key": "k"}
    with pytest.raises(ValueError, match="unknown reason 'flaky'"):
        raise ProbeError("flaky", "not a reason the role knows")
