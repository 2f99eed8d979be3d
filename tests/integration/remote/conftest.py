"""The remote-host tests' marker: `pytest -m remote` selects them, `-m 'not remote'` leaves them out."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "remote: needs the remote test hosts of `make remote-up` (sandbox/remote)")
