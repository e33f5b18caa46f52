// The run loop: every repetition of every selected benchmark is one call of
// Google Benchmark's RunSpecifiedBenchmarks, filtered to that benchmark and
// with one repetition, so that the driver decides the order (rounds, shuffled
// by kernel, or one benchmark after the other) and can sample the machine
// between repetitions: a canary (csrc/steady.h) and what else used the CPUs.
// Google Benchmark 1.7.1 cannot interleave repetitions in rounds nor report
// one as it ends, so the driver collects the repetitions itself, computes the
// aggregates as Google Benchmark does (mean, median, stddev, cv), and gives
// both to Google Benchmark's own console and JSON reporters, so that the
// output keeps Google Benchmark's format.
//
// Each repetition is measured in a process of its own, forked by a forker
// that the driver starts before the first (csrc/isolate.h) and that sends
// back the runs Google Benchmark reported (run_codec.h): every repetition
// starts from the same process, whatever ran before it, and the size of
// the process measuring it as it starts (parent_rss_bytes,
// parent_mapped_bytes: what its fork-based modes fork) is recorded with it.
//
// One difference from a single call with --benchmark_repetitions=N: Google
// Benchmark finds the iteration count of a benchmark in its first
// repetition and keeps it for the others; here each repetition finds its
// own (a benchmark whose batch takes longer than the minimum time runs one
// iteration either way). The aggregates are therefore taken over the time
// per iteration of each repetition.
#include "rounds.h"

#include "auto_rounds.h"
#include "cb_config.h"
#include "executor.h"
#include "gbench.h"
#include "isolate.h"
#include "run_codec.h"
#include "steady.h"
#include "sysinfo.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

namespace cb {
namespace {

// Keeps what Google Benchmark reports, prints nothing.
class Collector : public benchmark::BenchmarkReporter {
public:
    bool ReportContext(const Context &) override { return true; }
    void ReportRuns(const std::vector<Run> &runs) override
    {
        got.insert(got.end(), runs.begin(), runs.end());
    }
    std::vector<Run> got;
};

// An extended regular expression matching exactly name.
std::string exactly(const std::string &name)
{
    std::string re = "^";
    for (char c : name) {
        if (std::string("\\.[]()*+?{}|^$").find(c) != std::string::npos)
            re += '\\';
        re += c;
    }
    return re + "$";
}

// The machine between two repetitions: the canary, and CPU samples taken
// just before it (the end of the last repetition) and just after it (the
// start of the next).
struct Boundary {
    cb_cpu_sample before, after;
    double canary; // loops per second
};

Boundary boundary()
{
    Boundary b;
    cb_cpu_sample_take(&b.before);
    b.canary = cb_canary_rate();
    cb_cpu_sample_take(&b.after);
    return b;
}

// One repetition as measured, with its machine samples.
struct Repetition {
    Run run;
    unsigned round = 0; // 1-based; 0 in sequential order
    Boundary start, end;
    size_t boundary = 0; // its start's index in Runner::timeline
};

// The CPU figures of a repetition are taken over at least this long, the
// repetition and as much of its neighbours as it takes: /proc/stat counts
// CPU time in ticks (10 ms), so over 2 ms a tick on another CPU read as 4
// CPUs busy.
constexpr int64_t kMinCpuWindowNs = 250000000;

std::string duration(double s)
{
    char buf[32];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    else
        std::snprintf(buf, sizeof buf, "%dm%02ds", (int)s / 60, (int)s % 60);
    return buf;
}

double median_of(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mean_of(const std::vector<double> &v)
{
    return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) /
                               (double)v.size();
}

// The sample standard deviation, as Google Benchmark computes it.
double stddev_of(const std::vector<double> &v)
{
    if (v.size() < 2)
        return 0;
    double m = mean_of(v), sq = 0;
    for (double x : v)
        sq += (x - m) * (x - m);
    return std::sqrt(sq / (double)(v.size() - 1));
}

double cv_of(const std::vector<double> &v)
{
    double m = mean_of(v);
    return m == 0 ? 0 : stddev_of(v) / m;
}

// Google Benchmark's four aggregates over the repetitions that did not fail
// (none with fewer than two).
std::vector<Run> aggregates(const std::vector<Repetition> &reps)
{
    std::vector<const Run *> ok;
    for (const Repetition &r : reps)
        if (!run_failed(r.run))
            ok.push_back(&r.run);
    if (ok.size() < 2)
        return {};
    std::vector<double> real, cpu;
    std::map<std::string, std::vector<double>> counters;
    for (const Run *r : ok) {
        double iters = (double)std::max<int64_t>(r->iterations, 1);
        real.push_back(r->real_accumulated_time / iters);
        cpu.push_back(r->cpu_accumulated_time / iters);
        for (const auto &c : r->counters)
            counters[c.first].push_back(c.second.value);
    }
    struct Stat {
        const char *name;
        double (*fn)(const std::vector<double> &);
        bool percentage;
    };
    static const Stat stats[] = {
        {"mean", mean_of, false},
        {"median", [](const std::vector<double> &v) { return median_of(v); },
         false},
        {"stddev", stddev_of, false},
        {"cv", cv_of, true},
    };
    std::vector<Run> out;
    const Run &first = *ok.front();
    double n = (double)ok.size();
    for (const Stat &s : stats) {
        Run a;
        a.run_name = first.run_name;
        a.family_index = first.family_index;
        a.per_family_instance_index = first.per_family_instance_index;
        a.run_type = Run::RT_Aggregate;
        a.threads = first.threads;
        a.repetitions = first.repetitions;
        a.repetition_index = Run::no_repetition_index;
        a.aggregate_name = s.name;
        a.aggregate_unit = s.percentage ? benchmark::kPercentage
                                        : benchmark::kTime;
        a.report_label = first.report_label;
        a.time_unit = first.time_unit;
        // The reporters divide a time by the iterations: n of them here.
        a.iterations = (benchmark::IterationCount)ok.size();
        double scale = s.percentage ? 1 : n;
        a.real_accumulated_time = s.fn(real) * scale;
        a.cpu_accumulated_time = s.fn(cpu) * scale;
        for (const auto &c : counters) {
            auto flags = first.counters.count(c.first)
                             ? first.counters.at(c.first).flags
                             : benchmark::Counter::kDefaults;
            a.counters[c.first] = benchmark::Counter(s.fn(c.second), flags);
        }
        out.push_back(a);
    }
    return out;
}

// The runs of one benchmark that a reporter shows, as Google Benchmark
// chooses them: aggregates only if asked and there are any.
void report(benchmark::BenchmarkReporter &to, const std::vector<Run> &runs,
            const std::vector<Run> &aggs, bool aggregates_only)
{
    if (!(aggregates_only && !aggs.empty()))
        to.ReportRuns(runs);
    if (!aggs.empty())
        to.ReportRuns(aggs);
}

// The benchmarks, for the measuring processes: their index is a request.
const std::vector<Selected> *measured = nullptr;

// What a process measuring one repetition does: Google Benchmark's run of
// that one benchmark, its runs as bytes.
void measure_child(uint32_t what, char **answer, size_t *len)
{
    const Selected &s = (*measured)[what];
    // Its own size as it starts, which its fork-based modes fork from (the
    // forker's, the same for every repetition).
    unsigned long long rss = 0, mapped = 0;
    cb_self_memory(&rss, &mapped);
    Collector c;
    benchmark::RunSpecifiedBenchmarks(&c, exactly(s.name));
    for (Run &run : c.got) {
        if (rss) {
            run.counters["parent_rss_bytes"] = (double)rss;
            run.counters["parent_mapped_bytes"] = (double)mapped;
        }
    }
    std::string bytes = encode_runs(c.got);
    *answer = static_cast<char *>(std::malloc(bytes.size() + 1));
    if (*answer) {
        std::memcpy(*answer, bytes.data(), bytes.size());
        *len = bytes.size();
    }
}

// A failed repetition of s that no process reported: its error only.
Run failed_run(const Selected &s, const std::string &why)
{
    Run run;
    run.run_name.function_name = s.name;
    run.family_index = s.family_index;
    run.per_family_instance_index = 0;
    run.report_label = s.label;
    run.time_unit = benchmark::kMillisecond;
    run.iterations = 0;
    run.statistics = nullptr;
    set_run_error(&run, why);
    return run;
}

// One repetition of benchmark i, measured in a process of its own that
// the forker forks (csrc/isolate.h), so that it starts from the same state
// as every other and a kernel that ends the process ends only that
// measurement.
Run measure(cb_forker *forker, size_t i)
{
    const Selected &s = (*measured)[i];
    cb_error err{};
    char *answer = nullptr;
    size_t len = 0;
    std::vector<Run> got;
    std::string why;
    if (cb_forker_run(forker, (uint32_t)i, &answer, &len, &err) < 0)
        why = std::string("the process measuring it: ") + err.msg;
    else if (!decode_runs(std::string(answer, len), &got) || got.empty())
        why = "the process measuring it sent no result";
    std::free(answer);
    return why.empty() ? got.front() : failed_run(s, why);
}

struct Runner {
    const RoundsConfig &cfg;
    cb_forker *forker = nullptr;
    std::vector<std::vector<Repetition>> reps; // by benchmark
    // Each benchmark's first error, "" while it has not failed: a benchmark
    // that failed stays failed (bench/suite.h), its later repetitions not
    // run but reported with that error.
    std::vector<std::string> failed;
    int64_t t0_ns;
    std::vector<double> canaries;
    std::vector<Boundary> timeline; // every boundary, in time order

    explicit Runner(const RoundsConfig &c)
        : cfg(c), reps(c.benchmarks.size()), failed(c.benchmarks.size()),
          t0_ns(0)
    {
    }

    // Run repetition rep (0-based) of benchmark i between two boundaries,
    // in a process of its own (csrc/isolate.h).
    Boundary run_one(size_t i, unsigned rep, unsigned round,
                     const Boundary &start)
    {
        const Selected &s = cfg.benchmarks[i];
        Run run;
        if (!failed[i].empty()) {
            run = failed_run(s, failed[i] + " (in an earlier repetition)");
        } else {
            run = measure(forker, i);
            if (run_failed(run)) {
                failed[i] = run_error(run);
                if (s.failed)
                    s.failed(failed[i]);
            }
        }
        Boundary end = boundary();
        canaries.push_back(end.canary);
        timeline.push_back(end); // the start's is the one before
        Repetition r;
        r.run = run;
        r.run.repetition_index = rep;
        r.run.repetitions = cfg.repetitions; // the count, once all ran
        r.round = round;
        r.start = start;
        r.end = end;
        r.boundary = timeline.size() - 2;
        reps[i].push_back(r);
        return end;
    }

    // Steal and other processes' CPU around repetition r, over at least
    // kMinCpuWindowNs (widened evenly into the repetitions before and
    // after, as far as the run goes).
    void cpu_around(const Repetition &r, double *steal, double *other) const
    {
        size_t lo = r.boundary, hi = r.boundary + 1;
        auto span = [&] {
            return timeline[hi].before.wall_ns - timeline[lo].after.wall_ns;
        };
        while (span() < kMinCpuWindowNs && (lo > 0 || hi + 1 < timeline.size())) {
            if (lo > 0)
                lo--;
            if (span() < kMinCpuWindowNs && hi + 1 < timeline.size())
                hi++;
        }
        cb_cpu_between(&timeline[lo].after, &timeline[hi].before, steal,
                       other);
    }

    double elapsed_s(const Boundary &b) const
    {
        return (double)(b.after.wall_ns - t0_ns) / 1e9;
    }

    // The CPUs concbench itself used over the repetition (its processes,
    // the one measuring it and their children, all reaped by its end):
    // what the repetition asked of the machine. -1: unknown.
    double own_cpus(const Repetition &r) const
    {
        double wall = (double)(r.end.before.wall_ns - r.start.after.wall_ns);
        if (r.start.after.own_s < 0 || r.end.before.own_s < 0 || wall <= 0)
            return -1;
        return (r.end.before.own_s - r.start.after.own_s) / (wall / 1e9);
    }

    // The repetition's canary over the run's typical so far, and the CPUs
    // other work and steal took around it (-1: unknown).
    double speed_of(const Repetition &r, double typical) const
    {
        return typical > 0 ? (r.start.canary + r.end.canary) / 2 / typical
                           : 0;
    }

    double load_of(const Repetition &r) const
    {
        double steal, other;
        cpu_around(r, &steal, &other);
        if (steal < 0 && other < 0)
            return -1;
        return std::max(steal, 0.0) + std::max(other, 0.0);
    }

    // The benchmarks worth another round: the contenders of the
    // comparisons still undecided (auto_rounds.h), with the serial runs
    // they are measured against; the number of such comparisons.
    std::vector<size_t> undecided(size_t *comparisons,
                                  size_t *exhausted = nullptr) const
    {
        double typical = median_of(canaries);
        double cpus = cfg.cpus;
        std::vector<Measured> all(reps.size());
        std::map<std::string, size_t> by_name;
        std::vector<std::pair<double, double>> speeds; // (time, speed)
        std::vector<double> task_util(reps.size(), -1); // median cpu_util
        for (size_t i = 0; i < reps.size(); i++) {
            Measured &m = all[i];
            m.group = cfg.benchmarks[i].compare;
            m.workers = cfg.benchmarks[i].workers;
            by_name[cfg.benchmarks[i].name] = i;
            std::vector<double> util, tasks;
            for (const Repetition &r : reps[i]) {
                double own = own_cpus(r);
                auto u = r.run.counters.find("cpu_util");
                if (u != r.run.counters.end() && !run_failed(r.run))
                    tasks.push_back(u->second.value);
                if (run_failed(r.run)) {
                    m.failed = true;
                    continue;
                }
                Rep rep;
                rep.time = r.run.GetAdjustedRealTime();
                rep.speed = speed_of(r, typical);
                rep.load = load_of(r);
                m.reps[r.round] = rep;
                speeds.push_back({elapsed_s(r.start), rep.speed});
                if (own >= 0)
                    util.push_back(own);
            }
            double cap = cpus > 0 ? std::min((double)m.workers, cpus)
                                  : (double)m.workers;
            m.demand = util.empty() ? cap : std::min(median_of(util), cap);
            if (!tasks.empty())
                task_util[i] = median_of(tasks);
        }
        // Each strategy's serial run; the serial run's is itself. A kernel
        // needs a CPU when its serial run's cpu_util says so.
        for (size_t i = 0; i < reps.size(); i++) {
            auto found = by_name.find(cfg.benchmarks[i].serial);
            if (found != by_name.end()) {
                all[i].serial = &all[found->second];
                all[found->second].serial = &all[found->second];
            }
        }
        // A kernel needs a CPU when its serial run's tasks kept one busy
        // (scripts/compare: cpu_util >= kCpuBoundUtil; unknown: it does).
        for (Measured &m : all) {
            if (!m.serial)
                continue;
            double u = task_util[(size_t)(m.serial - all.data())];
            m.cpu_bound = u < 0 || u >= kCpuBoundUtil;
        }
        std::sort(speeds.begin(), speeds.end());
        std::vector<double> in_time;
        for (const auto &ts : speeds)
            in_time.push_back(ts.second);
        Machine machine;
        machine.cpus = cpus;
        machine.canary_limit = canary_limit(in_time);
        std::vector<Open> open =
            undecided_groups(all, machine, cfg.margin, exhausted);
        *comparisons = open.size();
        std::set<size_t> out;
        for (const Open &o : open)
            for (const Measured *m : o.contenders) {
                size_t i = (size_t)(m - all.data());
                out.insert(i);
                if (m->serial)
                    out.insert((size_t)(m->serial - all.data()));
            }
        return std::vector<size_t>(out.begin(), out.end());
    }

    // About how long one more repetition of each of these takes: its last.
    double estimate_s(const std::vector<size_t> &which) const
    {
        double s = 0;
        for (size_t i : which)
            if (!reps[i].empty())
                s += (double)(reps[i].back().end.before.wall_ns -
                              reps[i].back().start.after.wall_ns) / 1e9;
        return s;
    }

    // The machine's figures of every repetition, as counters.
    void add_steadiness()
    {
        double typical = median_of(canaries);
        for (auto &list : reps) {
            for (Repetition &r : list) {
                auto &c = r.run.counters;
                if (typical > 0)
                    c["machine_speed"] =
                        (r.start.canary + r.end.canary) / 2 / typical;
                c["t_start_s"] = elapsed_s(r.start);
                c["t_end_s"] = (double)(r.end.before.wall_ns - t0_ns) / 1e9;
                double steal, other;
                cpu_around(r, &steal, &other);
                if (steal >= 0)
                    c["steal_cpus"] = steal;
                double own = own_cpus(r);
                if (own >= 0)
                    c["own_cpus"] = own;
                if (other >= 0)
                    c["other_cpus"] = other;
                if (r.round)
                    c["round"] = r.round;
            }
        }
    }
};

// Round k + 1 of these benchmarks (every one if which is empty): the groups
// (kernels) in a random order; in each, its comparisons (the strategies of
// one worker count, which a verdict compares round by round) in a random
// order, each comparison's benchmarks back to back in a random order, so
// that the repetitions a verdict pairs are measured as close in time as
// they can be.
Boundary one_round(Runner &r, std::mt19937 &rng,
                   std::vector<std::string> groups,
                   const std::map<std::string, std::vector<size_t>> &members,
                   const std::set<size_t> &which, unsigned k, Boundary last)
{
    std::shuffle(groups.begin(), groups.end(), rng);
    for (const std::string &g : groups) {
        std::vector<std::string> comparisons;
        std::map<std::string, std::vector<size_t>> of;
        for (size_t i : members.at(g)) {
            if (!which.empty() && !which.count(i))
                continue;
            const std::string &c = r.cfg.benchmarks[i].compare;
            if (!of.count(c))
                comparisons.push_back(c);
            of[c].push_back(i);
        }
        std::shuffle(comparisons.begin(), comparisons.end(), rng);
        for (const std::string &c : comparisons) {
            std::vector<size_t> &order = of[c];
            std::shuffle(order.begin(), order.end(), rng);
            for (size_t i : order)
                last = r.run_one(i, (unsigned)r.reps[i].size(), k + 1, last);
        }
    }
    return last;
}

// --rounds=auto: more rounds of the undecided comparisons while they fit
// in the budget, each a progress line; the last line says how it ended.
// At most kMaxRounds rounds in all (disturbed repetitions do not count, so
// a machine that is never steady would go on).
Boundary extra_rounds(const RoundsConfig &cfg, Runner &r, std::mt19937 &rng,
                      const std::vector<std::string> &groups,
                      const std::map<std::string, std::vector<size_t>> &members,
                      Boundary last)
{
    unsigned k = cfg.repetitions, extra = 0;
    const unsigned max_rounds = std::max(cfg.repetitions, kMaxRounds);
    size_t open = 0, exhausted = 0;
    bool which_empty = false;
    std::string why;
    for (;;) {
        std::vector<size_t> which = r.undecided(&open, &exhausted);
        which_empty = which.empty();
        if (which.empty()) {
            why = exhausted == 0 ? "every comparison decided" :
                "every comparison decided but " + std::to_string(exhausted) +
                " left undecided after " + std::to_string(kEnoughPairs) +
                " pairs";
            break;
        }
        double elapsed = r.elapsed_s(last);
        if (elapsed + r.estimate_s(which) > cfg.auto_budget_s) {
            why = "the time budget is spent";
            break;
        }
        if (k >= max_rounds) {
            why = "at the most rounds, " + std::to_string(max_rounds);
            break;
        }
        last = one_round(r, rng, groups, members,
                         std::set<size_t>(which.begin(), which.end()), k,
                         last);
        k++, extra++;
        std::fprintf(stderr,
                     "concbench: extra round %u (round %u): %zu benchmarks "
                     "of %zu undecided comparison%s, %s elapsed of %s\n",
                     extra, k, which.size(), open, open == 1 ? "" : "s",
                     duration(r.elapsed_s(last)).c_str(),
                     duration(cfg.auto_budget_s).c_str());
    }
    std::string still = which_empty ? "" :
        "; " + std::to_string(open) + " comparison" +
        (open == 1 ? "" : "s") + " still undecided";
    std::fprintf(stderr, "concbench: %u extra round%s: %s%s\n", extra,
                 extra == 1 ? "" : "s", why.c_str(), still.c_str());
    return last;
}

} // namespace

std::string run_rounds(const RoundsConfig &cfg)
{
    std::random_device seed_source;
    unsigned seed = seed_source();
    std::mt19937 rng(seed);
    bool rounds = cfg.order == Order::Rounds;
    cb_gbench_add_context("order", rounds ? "rounds" : "sequential");
    cb_gbench_add_context("rounds",
                          std::to_string(rounds ? cfg.repetitions : 1).c_str());
    if (rounds)
        cb_gbench_add_context("order_seed", std::to_string(seed).c_str());
    if (rounds && cfg.auto_budget_s >= 0) {
        char budget[32];
        std::snprintf(budget, sizeof budget, "%g", cfg.auto_budget_s);
        cb_gbench_add_context("rounds_auto_budget_s", budget);
    }

    benchmark::BenchmarkReporter::Context ctx;
    // Google Benchmark's constructor leaves it unset (1.7.1): a garbage
    // width made a separator line of gigabytes.
    ctx.name_field_width = 0;
    for (const Selected &s : cfg.benchmarks)
        ctx.name_field_width = std::max(ctx.name_field_width, s.name.size());
    if (cfg.repetitions > 1)
        ctx.name_field_width += 7; // "_median"
    std::ostringstream json_text;
    benchmark::JSONReporter json;
    json.SetOutputStream(&json_text);
    json.SetErrorStream(&json_text);
    json.ReportContext(ctx);
    int opts = benchmark::ConsoleReporter::OO_None;
    if (cfg.color)
        opts |= benchmark::ConsoleReporter::OO_Color;
    if (cfg.tabular)
        opts |= benchmark::ConsoleReporter::OO_Tabular;
    benchmark::ConsoleReporter console(
        static_cast<benchmark::ConsoleReporter::OutputOptions>(opts));
    if (!cfg.json_display)
        console.ReportContext(ctx);
    std::fflush(stdout);

    Runner r(cfg);
    measured = &cfg.benchmarks;
    cb_error err{};
    if (cb_forker_start(measure_child, &r.forker, &err) < 0) {
        std::fprintf(stderr, "concbench: cannot start the process that "
                             "forks the measurements: %s\n", err.msg);
        std::exit(1);
    }
    Boundary last = boundary();
    r.timeline.push_back(last);
    r.t0_ns = last.after.wall_ns;
    r.canaries.push_back(last.canary);
    auto show = [&](size_t i) {
        if (cfg.json_display)
            return;
        std::vector<Run> runs;
        for (const Repetition &rep : r.reps[i])
            runs.push_back(rep.run);
        report(console, runs, aggregates(r.reps[i]),
               cfg.display_aggregates_only || cfg.report_aggregates_only);
        std::fflush(stdout);
    };

    if (rounds) {
        // Round k: the groups (kernels) in a random order, each group's
        // benchmarks in a random order, every benchmark once.
        std::vector<std::string> groups;
        std::map<std::string, std::vector<size_t>> members;
        for (size_t i = 0; i < cfg.benchmarks.size(); i++) {
            const std::string &g = cfg.benchmarks[i].group;
            if (!members.count(g))
                groups.push_back(g);
            members[g].push_back(i);
        }
        for (unsigned k = 0; k < cfg.repetitions; k++) {
            last = one_round(r, rng, groups, members, {}, k, last);
            double done = r.elapsed_s(last);
            std::fprintf(stderr,
                         "concbench: round %u of %u done: %zu benchmarks, "
                         "%s elapsed, about %s left\n",
                         k + 1, cfg.repetitions, cfg.benchmarks.size(),
                         duration(done).c_str(),
                         duration(done / (k + 1) * (cfg.repetitions - k - 1))
                             .c_str());
        }
        if (cfg.auto_budget_s >= 0)
            last = extra_rounds(cfg, r, rng, groups, members, last);
        // With extra rounds, benchmarks have as many repetitions as their
        // comparisons needed.
        for (auto &list : r.reps)
            for (Repetition &rep : list)
                rep.run.repetitions = (int64_t)list.size();
        for (size_t i = 0; i < cfg.benchmarks.size(); i++)
            show(i);
    } else {
        for (size_t i = 0; i < cfg.benchmarks.size(); i++) {
            for (unsigned k = 0; k < cfg.repetitions; k++)
                last = r.run_one(i, k, 0, last);
            show(i); // as today: each benchmark's table rows as it ends
        }
    }

    // The steadiness figures go to the JSON, not the table: they need the
    // whole run (the typical canary), and scripts/compare sums them up.
    cb_forker_stop(r.forker);
    r.add_steadiness();
    for (size_t i = 0; i < cfg.benchmarks.size(); i++) {
        std::vector<Run> runs;
        for (const Repetition &rep : r.reps[i])
            runs.push_back(rep.run);
        report(json, runs, aggregates(r.reps[i]), cfg.report_aggregates_only);
    }
    json.Finalize();
    if (cfg.json_display)
        std::fputs(json_text.str().c_str(), stdout);
    return json_text.str();
}

} // namespace cb
