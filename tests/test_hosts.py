"""Across hosts for real, on this machine: three test hosts
(tests/testhosts: network namespaces joined by a bridge, each with a name,
an address and an sshd of its own, all sharing the file system), and on
them mpi_pool under mpirun with its workers on another host (one of them
killed there mid-batch, too), fleet/concbench.sbatch as a job array on a
two-node Slurm, and fleet/concbench.yml over ssh to two hosts and one that
does not exist. Then the hosts are taken down, and nothing of them is
left: no namespace, and no process that ran in one (sshd, orted,
slurmctld, slurmd, concbench).

Skipped, with one line, where network namespaces cannot be made (not
root, `ip netns add` refused); a tool scripts/setup installs that is
missing skips it too, or fails it under CI."""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTHOSTS = ROOT / "tests" / "testhosts"
NET = "10.213.0"
GONE = f"{NET}.99"      # in the hosts' network, where no host is


def need(*programs):
    """Skip (fail under CI, where scripts/setup installs them) without
    one of programs."""
    path = "/usr/sbin:/usr/bin:/sbin:/bin"
    missing = [p for p in programs if not shutil.which(p, path=path)]
    if missing:
        why = f"no {', '.join(missing)}: run scripts/setup --for test"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


class Hosts:
    """The test hosts: names, addresses, and a command run on one."""

    def __init__(self, folder):
        self.dir = folder
        self.prefix = (folder / "prefix").read_text().strip()
        self.names, self.addresses = zip(*(
            line.split() for line in (folder / "hosts").read_text().split("\n")
            if line))
        self.ssh_config = folder / "ssh_config"

    def cmd(self, i, args):
        """args to run on host i (1, 2, ...)."""
        return [str(TESTHOSTS), "exec", str(self.dir), str(i), *map(str, args)]

    def run(self, i, args, timeout=120, **kw):
        return subprocess.run(self.cmd(i, args), capture_output=True,
                              text=True, timeout=timeout, **kw)

    def popen(self, i, args, log, **kw):
        return subprocess.Popen(self.cmd(i, args), stdout=log,
                                stderr=subprocess.STDOUT, **kw)

    def pids(self, i=None):
        """The processes of every host (or of host i)."""
        if i is None:
            r = subprocess.run([str(TESTHOSTS), "pids", str(self.dir)],
                               capture_output=True, text=True, timeout=30)
            return {int(p) for p in r.stdout.split()}
        r = subprocess.run(["ip", "netns", "pids", self.names[i - 1]],
                           capture_output=True, text=True, timeout=30)
        return {int(p) for p in r.stdout.split()}


def command_line(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def running(pid):
    """Whether pid is a process that has not ended (a zombie has)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def net_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    """Three test hosts, taken down afterwards whatever happened (also on
    SIGTERM, as meson's timeout sends: pytest then tears down)."""
    need("ip", "nsenter", "sshd", "ssh")
    folder = tmp_path_factory.mktemp("hosts") / "hosts"
    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        r = subprocess.run([str(TESTHOSTS), "up", "3", "--dir", str(folder)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode == 77:
            pytest.skip(r.stderr.strip().splitlines()[-1])
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == str(folder)
        yield Hosts(folder)
    finally:
        subprocess.run([str(TESTHOSTS), "down", str(folder)], timeout=120)
        signal.signal(signal.SIGTERM, previous)


def test_each_host_answers_ssh_under_its_own_name(hosts):
    for i in range(1, len(hosts.names) + 1):
        for other in hosts.names:
            r = hosts.run(i, ["ssh", "-F", hosts.ssh_config, other,
                              "hostname"], timeout=30)
            assert (r.returncode, r.stdout) == (0, other + "\n"), r.stderr
    # Only the hosts' network: no route out of it.
    r = hosts.run(1, ["ip", "route"])
    assert r.stdout.split("\n")[0].startswith(f"{NET}.0/24 ")
    assert "default" not in r.stdout


def mpi_pool_built(concbench):
    r = subprocess.run([concbench, "--list"], capture_output=True,
                       text=True, timeout=30)
    return re.search(r"^  mpi_pool ", r.stdout, re.M) is not None


def mpirun(hosts, tmp, placement, args):
    """mpirun on host 1, its rank 0 there, launching on the others by ssh
    with the hosts' configuration, over their network only; its session
    folders in tmp."""
    return ["mpirun", "--allow-run-as-root",
            "--bind-to", "none", *placement, "-mca", "plm_rsh_agent",
            f"ssh -F {hosts.ssh_config}",
            "-mca", "oob_tcp_if_include", f"{NET}.0/24",
            "-mca", "btl_tcp_if_include", f"{NET}.0/24",
            "-mca", "orte_tmpdir_base", str(tmp), *args]


def labels(data, mode):
    return [b["label"] for b in data["benchmarks"]
            if f"mode={mode} " in b.get("label", "") + " "
            and b["run_type"] == "iteration"]


@pytest.fixture()
def mpi(hosts, concbench):
    need("mpirun", "orted")
    if not mpi_pool_built(concbench):
        pytest.skip("concbench was built without MPI (-Dmpi)")


def test_mpi_pool_places_its_workers_on_another_host(hosts, mpi, concbench,
                                                     tmp_path):
    """mpirun -n 1 --host A:1,B:4: the 4 workers are on B, every task's
    digest is checked (no error), and where they ran is in each entry's
    label and in the context; process_pool runs beside it."""
    a, b = hosts.names[:2]
    out = tmp_path / "out.json"
    r = hosts.run(1, mpirun(hosts, tmp_path, ["-n", "1", "--host",
                                              f"{a}:1,{b}:4"],
                            [concbench, "--modes=mpi_pool,process_pool",
                             "--kernels=noop,gmp_pow", "--workers=4",
                             "--tasks=8", "--benchmark_repetitions=2",
                             "--benchmark_min_time=0.01",
                             f"--benchmark_out={out}"]),
                  timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    data = json.loads(out.read_text())
    runs = [x for x in data["benchmarks"] if x["run_type"] == "iteration"]
    assert len(runs) == 2 * 2 * 2 and not any(
        x.get("error_occurred") for x in runs)
    assert len(labels(data, "mpi_pool")) == 4
    for label in labels(data, "mpi_pool"):
        assert label.endswith(f" worker_hosts={b}:4"), label
    for label in labels(data, "process_pool"):
        assert "worker_hosts=" not in label
    assert data["context"]["mpi_worker_hosts"] == f"{b}:4"
    assert data["context"]["host_name"] == a


def exe_of(pid):
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return None


def mpi_workers(hosts, i):
    """The mpi_pool workers running on host i."""
    return [p for p in hosts.pids(i)
            if command_line(p)[1:2] == [b"--cb-mpi"]
            and exe_of(p) == "concbench"]


def in_a_task(pid):
    """Whether io_sleep's task holds pid now: in clock_nanosleep (230) on
    CLOCK_MONOTONIC (1) until a time (TIMER_ABSTIME, 1), as io_sleep
    sleeps, not as Open MPI's start pauses."""
    try:
        return pathlib.Path(f"/proc/{pid}/syscall").read_text().split()[:3] \
            == ["230", "0x1", "0x1"]
    except OSError:
        return False


def test_a_worker_killed_on_the_other_host(hosts, mpi, concbench, tmp_path):
    """A worker on B killed while it runs a task (a hostfile this time):
    that benchmark fails with its error, naming the task, within the
    batch's timeout; the other benchmark runs; nothing of the pool is left
    on either host, Open MPI's daemons included."""
    a, b = hosts.names[:2]
    hostfile = tmp_path / "hostfile"
    hostfile.write_text(f"{a} slots=1\n{b} slots=4\n")
    out = tmp_path / "out.json"
    with open(tmp_path / "log", "w") as log:
        p = hosts.popen(1, mpirun(hosts, tmp_path, ["-n", "1", "--hostfile",
                                                    hostfile],
                                  [concbench, "--modes=mpi_pool",
                                   "--kernels=io_sleep,noop", "--io-ms=1000",
                                   "--workers=4", "--tasks=8",
                                   "--timeout=20", "--order=sequential",
                                   "--benchmark_repetitions=1",
                                   "--benchmark_min_time=0.01",
                                   f"--benchmark_out={out}"]),
                        log, cwd=tmp_path)
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and p.poll() is None \
                and time.monotonic() < deadline:
            busy = [w for w in mpi_workers(hosts, 2) if in_a_task(w)]
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                killed = busy[0]
            time.sleep(0.05)
        status = p.wait(timeout=180)
    text = (tmp_path / "log").read_text()
    assert killed, text[-3000:]
    assert status == 1, text[-3000:]
    data = json.loads(out.read_text())
    failed = [x for x in data["benchmarks"] if x.get("error_occurred")]
    assert [x["name"].split("/")[0] for x in failed] == ["io_sleep"], text
    message = failed[0]["error_message"]
    assert re.match(r"task \d+: an MPI worker died", message), message
    assert failed[0]["label"].endswith(f" worker_hosts={b}:4")
    assert any(not x.get("error_occurred") and x["name"].startswith("noop/")
               for x in data["benchmarks"])
    # Nothing of the pool on either host: only their sshd.
    for i in (1, 2):
        left = {p: command_line(p) for p in hosts.pids(i)}
        assert all(c[0].startswith(b"sshd") for c in left.values()), left
    assert list(tmp_path.glob("ompi.*")) == []


SLURM_CONF = """\
ClusterName=cbhosts
SlurmctldHost={ctld}({ctld_address})
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool-%n
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd-%n.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
{nodes}
PartitionName=fleet Nodes={names} Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture()
def slurm(hosts, tmp_path):
    """slurmctld on host 1, slurmd on hosts 2 and 3 (auth/none, so no
    munge; every folder in tmp_path; the default ports, each host's own),
    in the foreground, until both nodes are idle. Yields the environment
    for sbatch and the nodes' names; the daemons are stopped afterwards."""
    need("slurmctld", "slurmd", "sbatch", "sinfo")
    nodes = hosts.names[1:]
    for sub in ["state", *(f"spool-{n}" for n in nodes)]:
        (tmp_path / sub).mkdir()
    conf = tmp_path / "slurm.conf"
    conf.write_text(SLURM_CONF.format(
        ctld=hosts.names[0], ctld_address=hosts.addresses[0], dir=tmp_path,
        nodes="\n".join(f"NodeName={n} NodeAddr={a} CPUs={os.cpu_count()} "
                        "State=UNKNOWN"
                        for n, a in zip(nodes, hosts.addresses[1:])),
        names=",".join(nodes)))
    env = dict(os.environ, SLURM_CONF=str(conf))
    log = open(tmp_path / "daemons.log", "w")
    daemons = [hosts.popen(1, ["slurmctld", "-D", "-c", "-f", conf], log,
                           env=env)]
    daemons += [hosts.popen(i, ["slurmd", "-D", "-f", conf, "-N", node],
                            log, env=env)
                for i, node in enumerate(nodes, 2)]
    try:
        deadline = time.monotonic() + 60
        state = ""
        while time.monotonic() < deadline and all(
                d.poll() is None for d in daemons):
            state = hosts.run(1, ["sinfo", "-h", "-N", "-o", "%N %T"],
                              env=env, timeout=30).stdout
            if sorted(state.split()) == sorted(
                    [*nodes, "idle", "idle"]):
                break
            time.sleep(0.5)
        else:
            logs = "".join(f.read_text()[-1500:]
                           for f in sorted(tmp_path.glob("*.log")))
            pytest.fail(f"no two idle Slurm nodes: {state!r}\n{logs}")
        yield env, nodes
    finally:
        for d in daemons:
            d.terminate()
        for d in daemons:
            try:
                d.wait(timeout=20)
            except subprocess.TimeoutExpired:
                d.kill()
                d.wait()
        log.close()


def script(name, *args):
    return subprocess.run(["/usr/bin/python3", str(ROOT / "scripts" / name),
                           *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def grouped_by_host(folder, names):
    """compare and report take the folder: one file a host, each shown
    under its host's name."""
    c = script("compare", "--format", "json", folder)
    assert c.returncode == 0, c.stderr
    report = json.loads(c.stdout)
    assert len(report["files"]) == len(names)
    assert len(report["summaries"]) == len(names)
    page = folder.parent / "report.html"
    r = script("report", "-o", page, folder)
    assert r.returncode == 0, r.stderr
    text = page.read_text()
    for name in names:
        assert re.search(f'<h2 id="{re.escape(name)}-[^"]*">'
                         f'{re.escape(name)}: ', text), name


def test_slurm_array_lands_one_task_on_each_node(hosts, slurm, concbench,
                                                  tmp_path):
    """sbatch --array=0-1 fleet/concbench.sbatch on two nodes: one array
    task on each, one result file a node, named by node, job and task,
    with the node as fleet_host; compare and report group them by node."""
    env, nodes = slurm
    results = tmp_path / "slurm"
    env = dict(env, CONCBENCH_BIN=concbench, CONCBENCH_RESULTS=str(results),
               CONCBENCH_ARGS="--kernels=noop,gmp_pow --modes=serial,thread "
                              "--workers=2 --tasks=4 "
                              "--benchmark_min_time=0.01 "
                              "--benchmark_repetitions=2")
    env.pop("CONCBENCH_ROOT", None)
    r = hosts.run(1, ["sbatch", "--parsable", "--wait", "--array=0-1",
                      f"--output={tmp_path}/job-%A-%a.log",
                      ROOT / "fleet" / "concbench.sbatch"],
                  env=env, cwd=ROOT, timeout=240)
    logs = "".join(p.read_text() for p in sorted(tmp_path.glob("job-*")))
    assert r.returncode == 0, r.stderr + logs
    job = r.stdout.strip().split(";")[0]
    files = sorted(p.name for p in results.iterdir())
    assert len(files) == 2, logs
    by_node = {}
    for name in files:
        data = json.loads((results / name).read_text())
        node = data["context"]["fleet_host"]
        assert data["context"]["host_name"] == node
        assert re.fullmatch(f"{re.escape(node)}-{job}-[01]\\.json", name)
        runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
        assert len(runs) == 2 * 2 * 2 and not any(
            b.get("error_occurred") for b in runs)
        by_node[node] = name
    assert sorted(by_node) == sorted(nodes), files
    grouped_by_host(results, nodes)


def test_playbook_over_ssh_to_two_hosts_and_a_missing_one(hosts, concbench,
                                                          tmp_path):
    """fleet/concbench.yml from host 1 over ssh (not connection: local) to
    hosts 2 and 3 and to one with no host at its address: the two results
    come back, each with its host, the missing one is named as
    unreachable, and the playbook fails."""
    need("ansible-playbook")
    names = list(hosts.names[1:])
    gone = hosts.prefix + "-gone"
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {
        "hosts": {**{n: {"ansible_host": a}
                     for n, a in zip(names, hosts.addresses[1:])},
                  gone: {"ansible_host": GONE}},
        "vars": {"ansible_connection": "ssh", "ansible_user": "root",
                 "ansible_ssh_common_args": f"-F {hosts.ssh_config}",
                 "ansible_python_interpreter": "/usr/bin/python3"}}}))
    extra = {"concbench_bin": concbench,
             "concbench_dir": str(tmp_path / "run"),
             "collect": str(tmp_path / "collected"),
             "concbench_args": ["--kernels=noop", "--modes=serial,thread",
                                "--workers=2", "--tasks=4",
                                "--benchmark_min_time=0.01",
                                "--benchmark_repetitions=2"]}
    env = dict(os.environ, ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_HOST_KEY_CHECKING="0",
               # No ssh master left running after the playbook.
               ANSIBLE_SSH_ARGS="-o ControlMaster=no",
               ANSIBLE_HOME=str(tmp_path / "ansible-home"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
               ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-remote"))
    r = hosts.run(1, ["ansible-playbook", "-i", inventory,
                      ROOT / "fleet" / "concbench.yml", "-e",
                      json.dumps(extra)], env=env, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 2, out[-3000:]
    collected = tmp_path / "collected"
    files = sorted(collected.iterdir())
    assert [f.name.rsplit("-", 1)[0] for f in files] == names, out[-3000:]
    for f, name in zip(files, names):
        data = json.loads(f.read_text())
        assert data["context"]["fleet_host"] == name
        assert data["context"]["host_name"] == name   # ran there, over ssh
        assert not any(b.get("error_occurred") for b in data["benchmarks"])
    fatal = dict(re.findall(r"^fatal: \[(.+?)\]: FAILED! => (.*)$", out,
                            re.M))
    assert sorted(fatal) == [gone], out[-3000:]
    assert "unreachable: " in fatal[gone]
    assert "no result came back" in fatal[gone]
    recap = out[out.index("PLAY RECAP"):]
    for name in names:
        assert re.search(f"^{re.escape(name)} +: .* failed=0 ", recap, re.M)
    assert re.search(f"^{re.escape(gone)} +: .* failed=1 ", recap, re.M)
    grouped_by_host(collected, names)


def test_nothing_is_left_after_down(hosts):
    """testhosts down: no namespace of the hosts, no process that ran in
    one of them or has their folder on its command line; and down again
    is harmless."""
    inodes = {os.stat(f"/run/netns/{ns}").st_ino
              for ns in os.listdir("/run/netns")
              if ns.startswith(hosts.prefix + "-")}
    assert len(inodes) == 4     # three hosts and the bridge's
    before = {pid: command_line(pid) for pid in hosts.pids()}
    assert before
    for _ in range(2):
        r = subprocess.run([str(TESTHOSTS), "down", str(hosts.dir)],
                           capture_output=True, text=True, timeout=120)
        assert (r.returncode, r.stderr) == (0, "")
    r = subprocess.run(["ip", "netns", "list"], capture_output=True,
                       text=True, timeout=30)
    assert hosts.prefix + "-" not in r.stdout
    assert not hosts.dir.exists()
    # Nor Open MPI's session folders of the hosts' daemons.
    assert list(pathlib.Path("/tmp").glob(f"ompi.{hosts.prefix}-*")) == []
    for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
        if not running(pid):
            continue
        net = net_of(pid)
        assert not net or int(net.split("[")[1].rstrip("]")) not in inodes, \
            command_line(pid)
        assert str(hosts.dir).encode() not in b" ".join(command_line(pid))
        assert before.get(pid) != command_line(pid), command_line(pid)
