"""Hook files that record where they ran: `recorder(tmp_path, points)` gives the overrides that point each hook
point at one task file, and a function that reads back what ran, as `point flow release` lines in order."""

from __future__ import annotations

from pathlib import Path

RECORD_TASKS = """---
- name: Hook | Record where this hook ran
  ansible.builtin.shell: echo {{ where | quote }} >> {{ record | quote }}
  vars:
    where: "{{ redis_cutover_hook.point }} {{ redis_cutover_hook.flow }} {{ redis_cutover_hook.release }}"
    record: %s
  delegate_to: localhost
  changed_when: false
  check_mode: false
"""


def recorder(tmp_path: Path, points: list[str]):
    record = tmp_path / "hooks-ran.txt"
    hook = tmp_path / "record-hook.yml"
    hook.write_text(RECORD_TASKS % record)
    overrides = {"redis_cutover_hooks": {point: [str(hook)] for point in points}}

    def ran() -> list[str]:
        return record.read_text().splitlines() if record.exists() else []

    return overrides, ran
