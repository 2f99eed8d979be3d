"""The cutover_report module, run as Ansible runs it, against real files in a temp dir: the directory made 0700,
the report's files 0600, latest.* relative links moved to the newest report, nothing written in check mode or
when nothing changed, and a path latest.* names that is not a link left alone."""

import os
import stat

import pytest

from . import module_run

FILES = {"json": '{"outcome": "ok"}\n', "txt": "rollout ok\n"}


def run(tmp_path, check=False, **args):
    return module_run.run_module(tmp_path, "cutover_report", check=check, **args)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_the_first_report_makes_the_directory_its_files_and_the_links(tmp_path):
    reports = tmp_path / "state" / "reports"
    result = run(tmp_path, dir=str(reports), name="1-rollout", files=FILES)
    assert result["changed"] is True and "failed" not in result, result
    assert result["paths"] == {ext: str(reports / f"1-rollout.{ext}") for ext in FILES}
    assert mode(reports) == 0o700
    for ext, text in FILES.items():
        assert (reports / f"1-rollout.{ext}").read_text() == text and mode(reports / f"1-rollout.{ext}") == 0o600
        assert os.readlink(reports / f"latest.{ext}") == f"1-rollout.{ext}"


def test_the_same_report_again_changes_nothing_and_the_next_moves_latest(tmp_path):
    reports = tmp_path / "reports"
    run(tmp_path, dir=str(reports), name="1-rollout", files=FILES)
    again = run(tmp_path, dir=str(reports), name="1-rollout", files=FILES)
    assert again["changed"] is False, again
    nxt = run(tmp_path, dir=str(reports), name="2-rollback", files=FILES)
    assert nxt["changed"] is True
    assert os.readlink(reports / "latest.json") == "2-rollback.json"
    assert sorted(os.listdir(reports)) == sorted(
        ["1-rollout.json", "1-rollout.txt", "2-rollback.json", "2-rollback.txt", "latest.json", "latest.txt"]
    )


def test_check_mode_predicts_and_writes_nothing(tmp_path):
    reports = tmp_path / "reports"
    result = run(tmp_path, check=True, dir=str(reports), name="1-rollout", files=FILES)
    assert result["changed"] is True and not reports.exists()
    run(tmp_path, dir=str(reports), name="1-rollout", files=FILES)
    assert run(tmp_path, check=True, dir=str(reports), name="1-rollout", files=FILES)["changed"] is False


def test_a_file_where_latest_goes_is_not_replaced(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "latest.txt").write_text("the operator's notes\n")
    result = run(tmp_path, dir=str(reports), name="1-rollout", files=FILES)
    assert result["failed"] is True and result["reason"] == "file", result
    assert "latest.txt is not a symbolic link" in result["msg"]
    assert sorted(os.listdir(reports)) == ["latest.txt"]  # nothing written before the refusal


def test_an_unwritable_directory_fails_with_reason_file(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into a 0500 directory")
    reports = tmp_path / "reports"
    reports.mkdir(mode=0o500)
    result = run(tmp_path, dir=str(reports), name="1-rollout", files=FILES)
    assert result["failed"] is True and result["reason"] == "file", result


@pytest.mark.parametrize(
    "args",
    [
        {"name": "../escape"},
        {"name": ""},
        {"latest": "a/b"},
        {"latest": "1-rollout"},
        {"files": {}},
        {"files": {"j.son": "x"}},
        {"files": {"json": ["not", "text"]}},
    ],
)
def test_bad_input_is_rejected_with_reason_input_and_writes_nothing(tmp_path, args):
    reports = tmp_path / "reports"
    result = run(tmp_path, **dict({"dir": str(reports), "name": "1-rollout", "files": FILES}, **args))
    assert result["failed"] is True and result["reason"] == "input", result
    assert not reports.exists()
