"""clusters.yaml, seamless.yaml and seamless.profile.yaml: precedence and clear errors."""

from __future__ import annotations

import textwrap

import pytest

from seamlessflow.errors import SeamlessflowError, UsageError
from seamlessflow.language.load import load_workflow
from seamlessflow.scheduling.stages import plan_stages

SF = """\
stage heavy:
    execution: spawn
    workers: 3

step a:
    shell: "echo a > a.txt"
    captures: a.txt

step b:
    stage: heavy
    shell: "echo b > b.txt"
    captures: b.txt
"""

CLUSTERS = """\
local_cluster: lab
lab:
  type: local
  frontends:
    - hostname: localhost
      hashserver: {url: "http://127.0.0.1:5101"}
      database: {url: "http://127.0.0.1:5102"}
      jobserver: {url: "http://127.0.0.1:5103"}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAMLESS_CONFIG_DIR", str(tmp_path / "config"))
    root = tmp_path / "project"
    root.mkdir()

    def make(seamlessfile: str = SF, **files: str):
        (root / "Seamlessfile").write_text(seamlessfile)
        for name, text in files.items():
            path = tmp_path / "config" / name if name == "clusters.yaml" else root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        workflow = load_workflow(root / "Seamlessfile")
        return workflow, list(workflow.instances)

    return make


def _plan(project, *, stage=None, local=False, **files):
    workflow, names = project(**files)
    return plan_stages(workflow, names, stage, local)


def test_without_config_files_the_seamlessfile_decides(project):
    plan = _plan(project)
    assert plan.stages == {"a": "default", "b": "heavy"}
    assert plan.choices["default"].kind == "process"
    assert (plan.choices["heavy"].kind, plan.choices["heavy"].workers) == ("spawn", 3)
    assert plan.cluster is None


def test_profile_overrides_the_seamlessfile_which_overrides_seamless_yaml(project):
    plan = _plan(project, **{
        "seamless.yaml": "- execution: spawn\n- workers: 2\n",
        "seamless.profile.yaml": "- stage heavy:\n    - workers: 5\n",
    })
    assert (plan.choices["default"].kind, plan.choices["default"].workers) == ("spawn", 2)
    assert (plan.choices["heavy"].kind, plan.choices["heavy"].workers) == ("spawn", 5)


def test_a_cluster_means_remote_on_its_jobserver(project):
    plan = _plan(project, **{"seamless.yaml": "- cluster: lab\n", "clusters.yaml": CLUSTERS})
    assert plan.choices["default"].kind == "jobserver"
    assert plan.choices["heavy"].kind == "spawn"  # the stage says spawn: local, same cache
    assert plan.cluster is not None and plan.cluster.services["hashserver"].url == \
        "http://127.0.0.1:5101"


def test_local_runs_in_process_but_keeps_the_clusters_cache(project):
    plan = _plan(project, local=True,
                 **{"seamless.yaml": "- cluster: lab\n", "clusters.yaml": CLUSTERS})
    assert {c.kind for c in plan.choices.values()} == {"process"}
    assert plan.cluster is not None and plan.cluster.name == "lab"


def test_stage_flag_sets_the_stage_of_steps_that_name_none(project):
    plan = _plan(project, stage="heavy")
    assert plan.stages == {"a": "heavy", "b": "heavy"}
    with pytest.raises(UsageError, match="no such stage; did you mean 'heavy'"):
        _plan(project, stage="heavvy")


@pytest.mark.parametrize("files, message", [
    ({"seamless.yaml": "- clster: lab\n"}, "unknown command 'clster'; did you mean 'cluster'"),
    ({"seamless.yaml": "- execution: remotely\n"}, "execution must be one of process, spawn, "
                                                   "remote; did you mean 'remote'"),
    ({"seamless.yaml": "execution: spawn\n"}, "expected a list of one-key commands"),
    ({"seamless.profile.yaml": "- workers: 0\n"}, "workers must be a whole number"),
    ({"seamless.yaml": "- cluster: lab\n"},
     r"seamless.yaml: item 1 \(cluster\): cluster 'lab': .*clusters.yaml does not exist"),
    ({"seamless.yaml": "- cluster: lab\n", "clusters.yaml": CLUSTERS.replace("lab:", "labs:")},
     r"seamless.yaml: item 1 \(cluster\): cluster 'lab' is not defined in .*clusters.yaml; "
     "did you mean 'labs'"),
    ({"seamless.yaml": "- cluster: lab\n",
      "clusters.yaml": CLUSTERS.replace("jobserver:", "jobsrever:")},
     r"frontends\[0\]\.jobsrever: unknown service; did you mean 'jobserver'"),
    ({"seamless.yaml": "- cluster: lab\n",
      "clusters.yaml": CLUSTERS.replace('{url: "http://127.0.0.1:5103"}', "{port_start: x}")},
     r"jobserver\.port_start: expected a port number"),
    ({"seamless.yaml": "- cluster: lab\n",
      "clusters.yaml": CLUSTERS.replace("  type: local\n", "  type: local\n  local_cache: no way\n")},
     r"cluster 'lab': local_cache: expected true .* or false .*, not 'no way'"),
    ({"seamless.yaml": "- cluster: lab\n", "clusters.yaml": "lab: [\n"}, r"clusters.yaml:2:1: "
                                                                          "invalid YAML"),
    ({"seamless.yaml": "- execution: remote\n"},
     r"seamless.yaml: item 1 \(execution\): execution: remote but no cluster"),
    ({"seamless.yaml": "- remote: jobserver\n"},
     r"seamless.yaml: item 1 \(remote\): remote: jobserver but no cluster"),
    ({"seamless.profile.yaml": "- workers: 99999999999999999999999\n"},
     "workers must be a whole number of at least 1 and at most 10,000"),
    ({"seamless.yaml": "- project: [x]\n"}, r"project must be a name, not \['x'\]"),
])
def test_config_errors_name_the_file_and_key(project, files, message):
    with pytest.raises(SeamlessflowError, match=message) as raised:
        _plan(project, **files)
    assert raised.value.exit_code == 2


def test_local_runs_a_remote_stage_without_a_cluster_here(project):
    """`--local` is what the error for a remote stage without a cluster suggests."""
    plan = _plan(project, local=True, **{"seamless.yaml": "- execution: remote\n"
                                                          "- remote: jobserver\n"})
    assert {c.kind for c in plan.choices.values()} == {"process"}
    assert plan.cluster is None


def test_a_cluster_without_a_service_url_explains_what_to_do(project, tmp_path, monkeypatch):
    from seamlessflow.storage.location import open_default_store

    monkeypatch.delenv("SEAMLESSFLOW_HASHSERVER", raising=False)
    monkeypatch.delenv("SEAMLESS_REMOTE_CLIENTS", raising=False)
    launched = CLUSTERS.replace('hashserver: {url: "http://127.0.0.1:5101"}',
                                "hashserver: {port_start: 5100, port_end: 5199}")
    plan = _plan(project, **{"seamless.yaml": "- cluster: lab\n", "clusters.yaml": launched})
    with pytest.raises(UsageError, match="hashserver has no url: and was not started; "
                                         "`seamlessflow run` starts it"):
        open_default_store(plan.cluster)
