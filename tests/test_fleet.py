"""fleet/concbench.yml, run by ansible-playbook against this machine under
three inventory names (connection local), with the concbench just built:
one result file per name comes back to the collection folder, each a
concbench run with its inventory name in the context; scripts/compare and
scripts/report take the folder of three files, grouped by host."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
HOSTS = ["h1", "h2", "h3"]


@pytest.fixture(scope="module")
def collected(concbench, tmp_path_factory):
    if not shutil.which("ansible-playbook"):
        if os.environ.get("CI"):
            pytest.fail("no ansible-playbook: run scripts/setup")
        pytest.skip("no ansible-playbook")
    tmp = tmp_path_factory.mktemp("fleet")
    inventory = tmp / "hosts"
    inventory.write_text("".join(f"{h} ansible_connection=local "
                                 f"ansible_python_interpreter={sys.executable}\n"
                                 for h in HOSTS))
    extra = {"concbench_bin": concbench,
             "concbench_dir": str(tmp / "run"),
             "collect": str(tmp / "collected"),
             "concbench_args": ["--kernels=noop", "--modes=serial,thread",
                                "--workers=1,2", "--tasks=2",
                                "--benchmark_min_time=0.001",
                                "--benchmark_repetitions=2"]}
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
               ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-remote"))
    r = subprocess.run(["ansible-playbook", "-i", str(inventory),
                        str(ROOT / "fleet" / "concbench.yml"),
                        "-e", json.dumps(extra)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    return tmp / "collected"


def test_one_result_file_per_host(collected):
    files = sorted(collected.iterdir())
    assert [f.name.split("-")[0] for f in files] == HOSTS
    for f, host in zip(files, HOSTS):
        data = json.loads(f.read_text())
        assert data["context"]["fleet_host"] == host
        runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
        assert len(runs) == 2 * 3          # serial, thread W1, W2; 2 rounds
        assert not any(b.get("error_occurred") for b in runs)


def script(name, *args):
    return subprocess.run(["/usr/bin/python3", str(ROOT / "scripts" / name),
                           *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_compare_and_report_take_the_folder(collected, tmp_path):
    c = script("compare", "--format", "json", collected)
    assert c.returncode == 0, c.stderr
    report = json.loads(c.stdout)
    assert [f["label"].split("-")[0] for f in report["files"]] == HOSTS
    assert len(report["summaries"]) == 3
    page = tmp_path / "fleet.html"
    r = script("report", "-o", page, collected)
    assert r.returncode == 0, r.stderr
    text = page.read_text()
    for host in HOSTS:
        assert f"<h2 id=\"{host}-" in text


def test_the_slurm_script_names_its_file_by_node(concbench, tmp_path):
    """fleet/concbench.sbatch run as Slurm would run an array task (its
    environment set by hand: there is no Slurm here): one result file named
    by node, job and task, with the node as fleet_host; and one line when
    concbench is not built."""
    env = dict(os.environ, SLURMD_NODENAME="node7", SLURM_ARRAY_JOB_ID="42",
               SLURM_ARRAY_TASK_ID="3", CONCBENCH_BIN=concbench,
               CONCBENCH_RESULTS=str(tmp_path / "slurm"),
               CONCBENCH_ARGS="--kernels=noop --modes=serial --tasks=2 "
                              "--benchmark_min_time=0.001")
    r = subprocess.run(["bash", str(ROOT / "fleet" / "concbench.sbatch")],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "slurm" / "node7-42-3.json"
    assert json.loads(out.read_text())["context"]["fleet_host"] == "node7"
    env["CONCBENCH_BIN"] = str(tmp_path / "missing")
    r = subprocess.run(["bash", str(ROOT / "fleet" / "concbench.sbatch")],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "not built on node7" in r.stderr
