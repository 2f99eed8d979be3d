"""The argument specs load through Ansible's own YAML loader without a warning. That loader warns on every
duplicate key, as a merge key (<<) overridden by a sibling key is; such a spec once printed fifteen warnings
at the start of every run."""

from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.utils.display import Display

from .test_argument_specs_used import ROLE

SPECS = ROLE / "meta" / "argument_specs.yml"


def test_ansible_loads_the_specs_without_a_warning(monkeypatch):
    seen = []
    monkeypatch.setattr(Display, "warning", lambda self, msg, *args, **kwargs: seen.append(msg))
    specs = AnsibleLoader(SPECS.read_text()).get_single_data()
    assert set(specs["argument_specs"]) == {"rollout", "rollback", "local_dev"}
    assert seen == []
