"""What a file says of its machine and run (the context): CPUs, quotas,
the keys shown side by side and the warnings where files differ."""

import json
import math
import re

from concbench.load import is_count, is_number

# Context keys shown side by side, in this order, and the consequence of a
# difference (None: shown, but a difference is no warning).
CONTEXT_FIELDS = (
    ("host_name", None),
    ("executable", None),
    ("date", None),
    ("cpu_model", "different CPU models"),
    ("num_cpus", "different CPU counts"),
    ("cpus_online", "different numbers of online CPUs"),
    ("cpus_allowed", "different numbers of allowed CPUs"),
    ("cpu_quota", "different cgroup CPU quotas"),
    ("mhz_per_cpu", None),
    ("smt", "SMT (hyper-threading) set differently"),
    ("governor", "different CPU frequency governors"),
    ("cpu_scaling_enabled", "CPU frequency scaling set differently"),
    ("kernel", "different operating system kernels"),
    ("compiler", "different compilers"),
    ("gmp_version", "different GMP versions"),
    ("benchmark_version", "different Google Benchmark versions"),
    ("library_version", "different Google Benchmark versions"),
    ("concbench_version", "different concbench versions"),
    ("library_build_type", "Google Benchmark built differently "
                           "(debug/release)"),
    ("build_type", "concbench built differently (debug/release)"),
    ("io_ms", "different io_ms: io_sleep timings are not comparable"),
    ("batches", "different --batches: where one file's repetition of a "
                "long CPU-bound kernel is the fastest of its batches, the "
                "other's may be their mean (fastest_of)"),
    ("timeout_s", None),
    ("order", None),
    ("rounds", None),
    ("load_avg", None),
)
BUSY_LOAD_PER_CPU = 0.5


# ---------------------------------------------------------------- context


def show_value(value):
    """A context value as display text."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def parse_cpu_count(value):
    """A CPU count from "4" (a count) or a CPU list such as "0-3,6"."""
    if is_number(value):
        return int(value) if value > 0 else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return int(text) or None
    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", text):
        return None
    count = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    return count if count > 0 else None


def parse_cpu_quota(value):
    """The CPUs a context's cpu_quota allows ("1.5" -> 1.5, "2" -> 2);
    None for "none", "unknown" or anything else that is no positive
    number."""
    if is_number(value):
        quota = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]+(\.[0-9]*)?\s*",
                                                 value):
        quota = float(value)
    else:
        return None
    if not math.isfinite(quota) or quota <= 0:
        return None
    return int(quota) if quota.is_integer() else quota


def allowed_cpus(context):
    """(CPUs the run could use, source key) for efficiency; (None, None)
    if unknown.

    The CPUs allowed (``cpus_allowed``, else ``num_cpus``), or the cgroup's
    CPU quota (``cpu_quota``) where it is a number and smaller: a container
    limited to 1.5 CPUs on a 64-core host is a 1.5-CPU machine."""
    count, source = None, None
    for key in ("cpus_allowed", "num_cpus"):
        count = parse_cpu_count(context.get(key))
        if count:
            source = key
            break
    quota = parse_cpu_quota(context.get("cpu_quota"))
    if quota is not None and (count is None or quota < count):
        return quota, "cpu_quota"
    return (count, source) if count else (None, None)


def context_report(results):
    fields = []
    warnings = []
    for key, consequence in CONTEXT_FIELDS:
        values = [r.context.get(key) for r in results]
        if all(v is None for v in values):
            continue
        differs = len({json.dumps(v, sort_keys=True) for v in values}) > 1
        fields.append({"key": key, "values": values, "differs": differs})
        if differs and consequence:
            shown = " vs ".join(show_value(v) for v in values)
            warnings.append(f"{key} differs ({shown}): {consequence}")
    for result in results:
        warnings.extend(file_warnings(result))
    return {"fields": fields, "warnings": warnings}


def file_warnings(result):
    """Warnings about one file's context, whatever it is compared with."""
    ctx = result.context
    found = []
    if ctx.get("build_type") == "debug":
        found.append(f"{result.label}: concbench is a debug build "
                     "(unoptimised)")
    if ctx.get("cpu_scaling_enabled") is True:
        found.append(f"{result.label}: CPU frequency scaling was enabled; "
                     "times may vary with the clock")
    load = ctx.get("load_avg")
    cpus = parse_cpu_count(ctx.get("num_cpus"))
    if (isinstance(load, list) and load and is_number(load[0]) and cpus
            and load[0] > BUSY_LOAD_PER_CPU * cpus):
        found.append(f"{result.label}: machine was busy at the start "
                     f"(1-minute load {load[0]:g} on {cpus} CPUs)")
    return found


def context_count(value):
    """A positive whole number from a context value ("5" or 5), else None."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        value = int(value)
    return value if is_count(value) else None
