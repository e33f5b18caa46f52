"""fleet/concbench.yml, run by ansible-playbook against this machine under
three inventory names (connection local), with the concbench just built:
one result file per name comes back to the collection folder, each a
concbench run with its inventory name in the context; scripts/compare and
scripts/report take the folder of three files, grouped by host; and
fleet/concbench.sbatch as a job array on a one-node Slurm the test starts."""
import json
import os
import pathlib
import random
import re
import shutil
import socket
import subprocess
import sys
import time

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


# Inventory names that are someone else's input (an inventory made from
# cloud tags), as YAML (a newline and a NUL in a name): each must give a
# result file inside the folders, under a name of its own.
HOSTILE = ["../../escaped", "/abs/olute", ".hidden", "a,b=c%d", "line\nbreak",
           "nul\0byte", "x" * 300, "plain"]


def ansible_env(tmp):
    """Ansible's environment, with every folder it makes in tmp (ssh's
    control sockets too)."""
    return dict(os.environ, ANSIBLE_NOCOLOR="1",
                ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_HOME=str(tmp / "ansible-home"),
                ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
                ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-remote"),
                ANSIBLE_SSH_CONTROL_PATH_DIR=str(tmp / "ansible-cp"))


@pytest.fixture(scope="module")
def hostile(concbench_test, tmp_path_factory):
    """The playbook with the hostile names, a host whose run has a
    failing benchmark (fault_crash in process mode: concbench exits 1
    with its JSON written) and one that cannot be reached (ssh to a port
    no one listens on). The folders are two levels down, so that
    '../../' from either would still be inside the test's folder.
    (ansible-playbook's status, its output, the test's folder, the
    folder deep down)."""
    if not shutil.which("ansible-playbook"):
        if os.environ.get("CI"):
            pytest.fail("no ansible-playbook: run scripts/setup")
        pytest.skip("no ansible-playbook")
    tmp = tmp_path_factory.mktemp("hostile")
    deep = tmp / "a" / "b"
    deep.mkdir(parents=True)
    local = {"ansible_connection": "local",
             "ansible_python_interpreter": sys.executable}
    hosts = {name: dict(local) for name in HOSTILE}
    hosts["failing"] = dict(local, test_kernels="fault_crash,noop")
    hosts["gone"] = {"ansible_connection": "ssh",
                     "ansible_host": "127.0.0.1",
                     "ansible_port": free_port(random.Random()),
                     "ansible_ssh_common_args": "-o BatchMode=yes"}
    inventory = deep / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}))  # YAML too
    # Per host through a template in the extra vars (they take precedence
    # over the inventory's): only "failing" runs fault_crash.
    extra = {"concbench_bin": concbench_test,
             "concbench_dir": str(deep / "run"),
             "collect": str(deep / "collected"),
             "concbench_args": ["--kernels={{ test_kernels | default('noop') "
                                "}}", "--modes=process", "--workers=2",
                                "--tasks=2", "--timeout=5",
                                "--benchmark_min_time=0.001"]}
    r = subprocess.run(["ansible-playbook", "-i", str(inventory),
                        str(ROOT / "fleet" / "concbench.yml"),
                        "-e", json.dumps(extra)],
                       capture_output=True, text=True, timeout=300,
                       env=ansible_env(tmp))
    return r.returncode, r.stdout + r.stderr, tmp, deep


def test_host_names_never_escape_the_result_folders(hostile):
    """Every result file is in the host's results folder and in the
    collection folder, under a name of its own (no '/', no leading dot,
    no control character), one per host that ran; nothing else was
    written anywhere in the test's folder."""
    status, out, tmp, deep = hostile
    written = sorted(p.relative_to(tmp) for p in tmp.rglob("*")
                     if p.is_file() and "ansible-" not in str(p))
    run = sorted(p.name for p in (deep / "run" / "results").iterdir())
    came = sorted(p.name for p in (deep / "collected").iterdir())
    assert run == came, out[-3000:]
    assert len(came) == len(HOSTILE) + 1, out[-3000:]     # and "failing"
    assert written == sorted(
        [(deep / "hosts.yml").relative_to(tmp)]
        + [(deep / "run" / "results" / n).relative_to(tmp) for n in run]
        + [(deep / "collected" / n).relative_to(tmp) for n in came])
    for name in came:
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,90}-"
                            r"[0-9]{8}T[0-9]{6}Z\.json", name), name
    assert "plain" in {n.rsplit("-", 1)[0] for n in came}   # kept as it is
    # Every host has concbench_bin: the checkout is not packed (into /tmp).
    assert re.search(r"TASK \[Pack this checkout's HEAD\] \**\nskipping: ",
                     out), out[:3000]


def test_every_host_name_reaches_the_context_whole(hostile):
    """fleet_host carries the inventory name (percent-encoded: a comma
    broke --benchmark_context), and compare and report decode it."""
    status, out, tmp, deep = hostile
    files = sorted((deep / "collected").iterdir())
    contexts = {cb_host(json.loads(f.read_text())["context"]): f
                for f in files}
    assert sorted(contexts) == sorted(HOSTILE + ["failing"])
    c = script("compare", "--format", "json", deep / "collected")
    assert c.returncode == 0, c.stderr
    page = deep.parent / "fleet.html"
    r = script("report", "-o", page, deep / "collected")
    assert r.returncode == 0, r.stderr
    text = page.read_text()
    assert "<h2 id=\"" in text and "a,b=c%d: " in text
    assert "../../escaped: _.._escaped-" in text
    page.unlink()


def cb_host(context):
    """The host compare and report see in a context (load.host_of)."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from concbench import load
    finally:
        sys.path.pop(0)
    return load.host_of(load.Result("f", "f", context, {}))


def test_a_failed_run_still_brings_its_result_back(hostile):
    """concbench exited 1 on "failing" with its JSON written: the JSON
    came back with the failed benchmark's error, and the host is named,
    as is the one that could not be reached; the playbook fails."""
    status, out, tmp, deep = hostile
    assert status == 2, out[-3000:]
    failing = [f for f in (deep / "collected").iterdir()
               if f.name.startswith("failing-")]
    assert len(failing) == 1, out[-3000:]
    runs = json.loads(failing[0].read_text())["benchmarks"]
    assert any(b.get("error_occurred") and "fault_crash" in b["name"]
               for b in runs)
    assert any(not b.get("error_occurred") and "noop" in b["name"]
               for b in runs)
    # One line a host, in the order the hosts got there.
    fatal = dict(re.findall(r"^fatal: \[(.+?)\]: FAILED! => (.*)$", out,
                            re.M))
    assert sorted(fatal) == ["failing", "gone"], out[-3000:]
    assert out.count("]: FAILED! => ") == 2, out[-3000:]
    assert ("concbench exited with status 1; its result came back as "
            f"{failing[0].name}") in fatal["failing"]
    assert "unreachable: " in fatal["gone"]
    assert "no result came back" in fatal["gone"]
    recap = out[out.index("PLAY RECAP"):]
    assert re.search(r"^failing +: .* failed=1 ", recap, re.M)
    assert re.search(r"^gone +: .* failed=1 ", recap, re.M)
    assert re.search(r"^plain +: .* failed=0 ", recap, re.M)


def test_the_slurm_script_names_its_file_by_node(concbench, tmp_path):
    """fleet/concbench.sbatch run as Slurm would run an array task (its
    environment set by hand): one result file named
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


@pytest.mark.parametrize("node", ["../../up", "/abs", ".hidden", "a,b",
                                  "k=v", "line\nbreak"])
def test_the_slurm_script_refuses_a_node_name_it_cannot_use(concbench,
                                                             tmp_path, node):
    """A node's name goes into a path and into --benchmark_context: one
    that would leave the results folder, or break the context, is refused
    in one line before anything runs, and nothing is written."""
    env = dict(os.environ, SLURMD_NODENAME=node, SLURM_ARRAY_JOB_ID="42",
               SLURM_ARRAY_TASK_ID="3", CONCBENCH_BIN=concbench,
               CONCBENCH_RESULTS=str(tmp_path / "a" / "slurm"),
               CONCBENCH_ARGS="--kernels=noop --modes=serial --tasks=2")
    r = subprocess.run(["bash", str(ROOT / "fleet" / "concbench.sbatch")],
                       capture_output=True, text=True, timeout=60, env=env)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(
        "concbench.sbatch: node name ")
    assert "not a name for a result file" in r.stderr
    assert list(tmp_path.iterdir()) == []


def free_port(rng):
    """A port no one listens on now: a random one, not the kernel's next
    (two tests asking at once would be given the same one)."""
    while True:
        port = rng.randrange(20000, 60000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


SLURM_CONF = """\
ClusterName=concbench
SlurmctldHost={node}
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName={node} CPUs={cpus} State=UNKNOWN
PartitionName=fleet Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A one-node Slurm cluster of this machine, started for the test:
    slurmctld and slurmd in the foreground with a configuration of their
    own (auth/none, so no munge daemon; free ports; folders in a temporary
    directory), stopped afterwards. Yields the environment that points
    sbatch at it."""
    daemons = [shutil.which(d, path="/usr/sbin:/usr/bin")
               for d in ("slurmctld", "slurmd")]
    if not all(daemons) or not shutil.which("sbatch"):
        if os.environ.get("CI"):
            pytest.fail("no Slurm (slurmctld, slurmd, sbatch): run "
                        "scripts/setup")
        pytest.skip("no Slurm")
    if os.geteuid() != 0:
        pytest.skip("slurmd starts jobs as their user: it needs root")
    node = socket.gethostname().split(".")[0]
    rng = random.Random()
    logs = ""
    # A daemon whose port was taken between the choice and its bind (by
    # another test run) exits: then again, with other ports.
    for _ in range(3):
        tmp = tmp_path_factory.mktemp("slurm")
        started = start_slurm(daemons, tmp, node, rng)
        if isinstance(started, str):
            logs = started
            continue
        env, procs = started
        try:
            yield env, node, tmp
        finally:
            stop(procs)
        return
    pytest.fail(f"no idle Slurm node after 3 starts:\n{logs}")


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_slurm(daemons, tmp, node, rng):
    """(env, daemons) of a cluster whose node is idle, or the daemons' logs
    if it did not come up within 60 s or a daemon exited."""
    for sub in ("state", "spool"):
        (tmp / sub).mkdir()
    conf = tmp / "slurm.conf"
    conf.write_text(SLURM_CONF.format(
        node=node, dir=tmp, ctld_port=free_port(rng),
        d_port=free_port(rng), cpus=os.cpu_count()))
    env = dict(os.environ, SLURM_CONF=str(conf))
    procs = [subprocess.Popen([daemons[0], "-D", "-c", "-f", str(conf)],
                              env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL),
             subprocess.Popen([daemons[1], "-D", "-f", str(conf), "-N", node],
                              env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and all(p.poll() is None
                                              for p in procs):
        r = subprocess.run(["sinfo", "-h", "-n", node, "-o", "%T"],
                           capture_output=True, text=True, env=env,
                           timeout=30)
        if r.stdout.strip() == "idle":
            return env, procs
        time.sleep(0.5)
    stop(procs)
    return "".join((tmp / f).read_text()[-1500:]
                   for f in ("slurmctld.log", "slurmd.log")
                   if (tmp / f).exists())


def test_the_slurm_script_as_a_job_array(slurm, concbench, tmp_path):
    """sbatch --array=0-1 fleet/concbench.sbatch on the one-node cluster,
    submitted from a checkout whose build is concbench's (the script runs
    from Slurm's spool, so the checkout is the submit folder): each array
    task leaves one result file, named by node, job and task, with the node
    as fleet_host; compare takes the folder."""
    env, node, _ = slurm
    checkout = tmp_path / "checkout"
    (checkout / "build" / "bench").mkdir(parents=True)
    (checkout / "build" / "bench" / "concbench").symlink_to(concbench)
    env = dict(env, CONCBENCH_ARGS="--kernels=noop --modes=serial,thread "
                                   "--workers=2 --tasks=2 "
                                   "--benchmark_min_time=0.001 "
                                   "--benchmark_repetitions=2")
    for key in ("CONCBENCH_ROOT", "CONCBENCH_BIN", "CONCBENCH_RESULTS"):
        env.pop(key, None)
    r = subprocess.run(["sbatch", "--parsable", "--wait", "--array=0-1",
                        f"--output={tmp_path}/log-%A-%a.txt",
                        str(ROOT / "fleet" / "concbench.sbatch")],
                       cwd=checkout, capture_output=True, text=True,
                       timeout=300, env=env)
    logs = "".join(p.read_text() for p in sorted(tmp_path.glob("log-*")))
    assert r.returncode == 0, r.stderr + logs
    job = r.stdout.strip().split(";")[0]
    results = checkout / "results" / "slurm"
    files = sorted(p.name for p in results.iterdir())
    assert files == [f"{node}-{job}-0.json", f"{node}-{job}-1.json"], logs
    for name in files:
        data = json.loads((results / name).read_text())
        assert data["context"]["fleet_host"] == node
        runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
        assert len(runs) == 2 * 2 and not any(
            b.get("error_occurred") for b in runs)
    c = script("compare", "--format", "json", results)
    assert c.returncode == 0, c.stderr
    assert len(json.loads(c.stdout)["summaries"]) == 2
