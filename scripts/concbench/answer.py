"""The answer for a machine, from one file's summary: for each kernel, the
strategy (or the strategies tied) to use at the best worker count, its
speedup, and what the other strategies cost beside it, with why.

Plain data in (a summary of ``analysis.summarize``), plain data out (the
``answer`` of ``compare --format json``, documented in docs/json.md);
compare, report and ``ninja bench`` show it first.
"""

from concbench.formats import PROSE, seconds_text
from concbench.names import WORKLOAD_SIZES

# What each mode is, in a few words, to say why it costs what it costs.
# {fork} and {thread} are this machine's fork+exit+wait and
# pthread_create+join, per task, from the baselines when the file has them.
MODE_WHY = {
    "serial": "one task at a time",
    "thread": "a thread per task{thread}",
    "process": "a process per task{fork}",
    "spawn": "a new program (posix_spawn) per task",
    "forkserver": "a process per task, forked by a small server",
    "thread_pool": "hand-offs to a pool's threads",
    "process_pool": "hand-offs to a pool's processes",
    "gil": "one lock: one task runs at a time",
    "async": "one thread: tasks that need a CPU take turns",
    "io_uring": "one thread and one ring: tasks that need a CPU take turns",
    "openmp": "OpenMP's team of threads",
    "mpi_pool": "MPI messages to a pool's processes",
}
BASELINES = {"fork": "baseline/fork_exit_waitpid/",
             "thread": "baseline/pthread_create_join/"}


def baseline_costs(summary):
    """{"fork": s, "thread": s} per operation, from the baselines' medians
    (their names go on with /tasks:T), those run from the suite's own
    parent (not with /parent_rss:S: a fork from a bigger parent costs
    more)."""
    found = {}
    for other in summary["other"]:
        for key, prefix in BASELINES.items():
            if other["name"].startswith(prefix):
                tasks, *rest = other["name"][len(prefix):].split("/")
                if any(part.split(":")[0] in WORKLOAD_SIZES
                       for part in rest):
                    continue
                if tasks.startswith("tasks:") and tasks[6:].isdigit() \
                        and int(tasks[6:]) > 0:
                    found[key] = other["median_s"] / int(tasks[6:])
    return found


def why(mode, costs):
    text = MODE_WHY.get(mode, mode)
    fork = costs.get("fork")
    thread = costs.get("thread")
    return text.format(
        fork=(f", fork+exit+wait {seconds_text(fork, PROSE)} here"
              if fork else ""),
        thread=(f", {seconds_text(thread, PROSE)} to create and join here"
                if thread else ""))


def best_workers(entries, margin):
    """The entry of the best worker count: the highest speedup of a
    group's fastest, or the smallest W within the margin of it (as fast,
    with fewer workers); by median time where there are no speedups."""
    scored = [e for e in entries if e["speedup"] is not None]
    if scored:
        top = max(e["speedup"] for e in scored)
        return min((e for e in scored if e["speedup"] * (1 + margin) >= top),
                   key=lambda e: e["workers"])
    fastest = min(e["median_s"] for e in entries)
    return min((e for e in entries
                if e["median_s"] <= fastest * (1 + margin)),
               key=lambda e: e["workers"])


def kernel_answer(kernel, tasks, entries, rows, costs, margin):
    entry = best_workers(entries, margin)
    use = entry["tie"] if entry["verdict"] == "tie" else [entry["strategy"]]
    serial = [r for r in rows if r["mode"] == "serial"]
    task_s = serial[0]["median_s"] / tasks if serial else None
    cpu_bound = rows[0]["cpu_bound"] if rows else None
    # Each other strategy at its own best W (highest speedup, else
    # lowest median time), against the answer's median time.
    best_of = {}
    for r in rows:
        if r["strategy"] in use or r["strategy"] in entry["undecided"]:
            continue
        have = best_of.get(r["strategy"])
        key = (r["speedup"] if r["speedup"] is not None
               else -r["median_s"])
        if have is None or key > have[0]:
            best_of[r["strategy"]] = (key, r)
    alternatives = []
    for strategy, (_, r) in best_of.items():
        # By the speedups where both have one: each is paired with the same
        # serial run, round by round, as the verdicts rank them.
        if r["speedup"] and entry["speedup"]:
            cost = entry["speedup"] / r["speedup"] - 1
        else:
            cost = r["median_s"] / entry["median_s"] - 1
        alternatives.append({
            "strategy": strategy, "mode": r["mode"], "workers": r["workers"],
            "median_s": r["median_s"], "speedup": r["speedup"],
            "cost": cost,
            # Within the margin (at another W: the answer takes the
            # fewest workers within the margin of the best speedup).
            "near": abs(cost) <= margin,
            "extra_per_task_s": (r["median_s"] - entry["median_s"]) / tasks,
            "why": why(r["mode"], costs), "flags": r["flags"]})
    alternatives.sort(key=lambda a: a["cost"])
    more = [e for e in entries if e["workers"] > entry["workers"]]
    return {"kernel": kernel, "tasks": tasks, "task_s": task_s,
            "cpu_bound": cpu_bound, "workers": entry["workers"],
            "verdict": entry["verdict"], "reason": entry["reason"],
            "sentence": entry["sentence"], "use": use,
            "undecided": entry["undecided"],
            "strategy": entry["strategy"], "speedup": entry["speedup"],
            "speedup_ci": entry["speedup_ci"],
            "median_s": entry["median_s"], "flags": entry["flags"],
            "more_workers_no_better": bool(more),
            "alternatives": alternatives}


def answer(summary, margin):
    """The answer object of one file's summary."""
    costs = baseline_costs(summary)
    groups = {}
    for b in summary["best"]:
        groups.setdefault((b["kernel"], b["tasks"]), []).append(b)
    rows = {}
    for r in summary["rows"]:
        rows.setdefault((r["kernel"], r["tasks"]), []).append(r)
    kernels = [kernel_answer(k, t, entries, rows.get((k, t), []), costs,
                             margin)
               for (k, t), entries in groups.items()]
    counts = {code: sum(b["verdict"] == code for b in summary["best"])
              for code in ("clear", "tie", "undecided", "only_strategy")}
    counts["total"] = len(summary["best"])
    return {"margin": margin, "cpus": summary["cpus"],
            "fork_s": costs.get("fork"), "thread_s": costs.get("thread"),
            "kernels": kernels, "verdicts": counts}
