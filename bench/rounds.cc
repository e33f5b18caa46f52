// The run loop: the order of the repetitions. Every repetition of every
// selected benchmark is one call of Google Benchmark's
// RunSpecifiedBenchmarks, filtered to that benchmark and with one
// repetition, so that the driver decides the order (rounds, shuffled by
// kernel and comparison, or one benchmark after the other; then the extra
// rounds of --rounds=auto, auto_rounds.h) and can sample the machine
// between repetitions (timeline.h). Google Benchmark 1.7.1 cannot
// interleave repetitions in rounds nor report one as it ends, so the
// driver collects the repetitions itself, computes their aggregates as
// Google Benchmark does (aggregates.h), and gives both to Google
// Benchmark's own console and JSON reporters, so that the output keeps
// Google Benchmark's format. Each repetition is measured in a process of
// its own (measure.h).
//
// As with a single call with --benchmark_repetitions=N, Google Benchmark
// finds the iteration count (the batches) of a benchmark in its first
// repetition, and the others keep it (keep_iterations: fixed in the
// benchmarks' registrations after the first round, the forker started
// again); in sequential order each repetition finds its own. Where
// --batches fixed the count, every repetition runs that (batches.h).
#include "rounds.h"

#include "aggregates.h"
#include "auto_rounds.h"
#include "batches.h"
#include "executor.h"
#include "gbench.h"
#include "measure.h"
#include "stats.h"
#include "timeline.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace cb {
namespace {

std::string duration(double s)
{
    char buf[32];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    else
        std::snprintf(buf, sizeof buf, "%dm%02ds", (int)s / 60, (int)s % 60);
    return buf;
}

// One repetition as measured, and where it lies on the run's timeline.
struct Repetition {
    Run run;
    unsigned round = 0; // 1-based; 0 in sequential order
    size_t at = 0;      // it ran between boundaries at and at + 1
};

struct Runner {
    const RoundsConfig &cfg;
    cb_forker *forker = nullptr;
    // What is fixed of each benchmark's repetitions (measure.h's Fixed).
    std::vector<Fixed> fixed;
    std::vector<std::vector<Repetition>> reps; // by benchmark
    // Each benchmark's first error, "" while it has not failed: a benchmark
    // that failed stays failed (bench/suite.h), its later repetitions not
    // run but reported with that error.
    std::vector<std::string> failed;
    Timeline timeline;

    explicit Runner(const RoundsConfig &c)
        : cfg(c), fixed(c.benchmarks.size()), reps(c.benchmarks.size()),
          failed(c.benchmarks.size())
    {
    }

    // Run repetition rep (0-based) of benchmark i after the timeline's
    // last boundary, in a process of its own (measure.h), and mark the
    // boundary after it.
    void run_one(size_t i, unsigned rep, unsigned round)
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
        Repetition r;
        r.run = run;
        r.run.repetition_index = rep;
        r.run.repetitions = cfg.repetitions; // the count, once all ran
        r.round = round;
        r.at = timeline.mark() - 1;
        reps[i].push_back(r);
    }

    double elapsed_s() const { return timeline.elapsed_s(timeline.last()); }

    // Benchmark i's repetitions as Google Benchmark's runs.
    std::vector<Run> runs(size_t i) const
    {
        std::vector<Run> out;
        for (const Repetition &rep : reps[i])
            out.push_back(rep.run);
        return out;
    }

    // The benchmarks worth another round: the contenders of the
    // comparisons still undecided (auto_rounds.h), with the serial runs
    // they are measured against; the number of such comparisons.
    std::vector<size_t> undecided(size_t *comparisons,
                                  size_t *exhausted = nullptr) const
    {
        double typical = timeline.typical();
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
                double own = timeline.own_cpus(r.at);
                auto u = r.run.counters.find("cpu_util");
                if (u != r.run.counters.end() && !run_failed(r.run))
                    tasks.push_back(u->second.value);
                if (run_failed(r.run)) {
                    m.failed = true;
                    continue;
                }
                Rep rep;
                rep.time = repetition_s(r.run);
                rep.speed = timeline.speed(r.at, typical);
                rep.load = timeline.load(r.at);
                m.reps[r.round] = rep;
                speeds.push_back({timeline.start_s(r.at), rep.speed});
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
                s += timeline.seconds(reps[i].back().at);
        return s;
    }

    // The machine's figures of every repetition, as counters.
    void add_steadiness()
    {
        double typical = timeline.typical();
        for (auto &list : reps) {
            for (Repetition &r : list) {
                auto &c = r.run.counters;
                if (typical > 0)
                    c["machine_speed"] = timeline.speed(r.at, typical);
                c["t_start_s"] = timeline.start_s(r.at);
                c["t_end_s"] = timeline.end_s(r.at);
                double steal, other;
                timeline.cpu_around(r.at, &steal, &other);
                if (steal >= 0)
                    c["steal_cpus"] = steal;
                double own = timeline.own_cpus(r.at);
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
void one_round(Runner &r, std::mt19937 &rng, std::vector<std::string> groups,
               const std::map<std::string, std::vector<size_t>> &members,
               const std::set<size_t> &which, unsigned k)
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
                r.run_one(i, (unsigned)r.reps[i].size(), k + 1);
        }
    }
}

[[noreturn]] void forker_failed(const cb_error &err)
{
    std::fprintf(stderr, "concbench: cannot start the process that forks "
                         "the measurements: %s\n", err.msg);
    std::exit(1);
}

// The forker again, forked from the driver now that the benchmarks'
// registrations say what r.fixed does.
void restart_forker(Runner &r)
{
    cb_forker_stop(r.forker);
    cb_error err{};
    r.forker = start_measuring(r.cfg.benchmarks, &err, &r.fixed);
    if (!r.forker)
        forker_failed(err);
}

// Benchmark i's repetitions run exactly n batches from now on.
bool fix_iterations(Runner &r, size_t i, int64_t n)
{
    const Selected &s = r.cfg.benchmarks[i];
    if (!s.set_batches || n <= 0)
        return false;
    s.set_batches(n);
    r.fixed[i].iterations = n;
    return true;
}

// --batches (batches.h): which benchmarks run a fixed number of batches,
// decided by a repetition of each serial run measured here (not kept);
// then the forker again. Whether it measured any.
bool fix_batches(Runner &r)
{
    const std::vector<Selected> &all = r.cfg.benchmarks;
    bool measured = false;
    std::vector<unsigned> n = choose_batches(all, r.cfg.batches, [&](size_t i) {
        measured = true;
        return measure(r.forker, i);
    });
    std::vector<std::string> kernels;
    for (size_t i = 0; i < all.size(); i++) {
        if (!n[i] || !fix_iterations(r, i, n[i]))
            continue;
        r.fixed[i].fastest_of = n[i];
        if (std::find(kernels.begin(), kernels.end(), all[i].group) ==
            kernels.end())
            kernels.push_back(all[i].group);
    }
    if (kernels.empty())
        return measured;
    restart_forker(r);
    std::string names;
    for (const std::string &k : kernels)
        names += (names.empty() ? "" : ", ") + k;
    std::fprintf(stderr,
                 "concbench: %s: %u batches a repetition, its time their "
                 "fastest (--batches)\n",
                 names.c_str(), r.cfg.batches);
    return measured;
}

// After the first round: every benchmark not fixed yet runs as many
// batches in its later repetitions as Google Benchmark found for its first
// (as Google Benchmark itself does with --benchmark_repetitions), instead
// of finding them again each time: a repetition of short batches spent a
// third of its time on the runs that find the count (noop: 36 ms of 86).
void keep_iterations(Runner &r)
{
    bool any = false;
    for (size_t i = 0; i < r.reps.size(); i++) {
        if (r.fixed[i].iterations || r.reps[i].empty() ||
            run_failed(r.reps[i].front().run))
            continue;
        any |= fix_iterations(r, i, r.reps[i].front().run.iterations);
    }
    if (any)
        restart_forker(r);
}

// --rounds=auto: more rounds of the undecided comparisons while they fit
// in the budget, each a progress line; the last line says how it ended.
// At most kMaxRounds rounds in all (disturbed repetitions do not count, so
// a machine that is never steady would go on).
void extra_rounds(const RoundsConfig &cfg, Runner &r, std::mt19937 &rng,
                  const std::vector<std::string> &groups,
                  const std::map<std::string, std::vector<size_t>> &members)
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
        double elapsed = r.elapsed_s();
        if (elapsed + r.estimate_s(which) > cfg.auto_budget_s) {
            why = "the time budget is spent";
            break;
        }
        if (k >= max_rounds) {
            why = "at the most rounds, " + std::to_string(max_rounds);
            break;
        }
        one_round(r, rng, groups, members,
                  std::set<size_t>(which.begin(), which.end()), k);
        k++, extra++;
        std::fprintf(stderr,
                     "concbench: extra round %u (round %u): %zu benchmarks "
                     "of %zu undecided comparison%s, %s elapsed of %s\n",
                     extra, k, which.size(), open, open == 1 ? "" : "s",
                     duration(r.elapsed_s()).c_str(),
                     duration(cfg.auto_budget_s).c_str());
    }
    std::string still = which_empty ? "" :
        "; " + std::to_string(open) + " comparison" +
        (open == 1 ? "" : "s") + " still undecided";
    std::fprintf(stderr, "concbench: %u extra round%s: %s%s\n", extra,
                 extra == 1 ? "" : "s", why.c_str(), still.c_str());
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
    cb_error err{};
    r.forker = start_measuring(cfg.benchmarks, &err);
    if (!r.forker)
        forker_failed(err);
    // The run's start; the probes of --batches are in its time budget,
    // between its first boundary and the first repetition's.
    r.timeline.mark();
    if (fix_batches(r))
        r.timeline.mark();
    auto show = [&](size_t i) {
        if (cfg.json_display)
            return;
        report(console, r.runs(i),
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
            one_round(r, rng, groups, members, {}, k);
            if (k == 0 && (cfg.repetitions > 1 || cfg.auto_budget_s >= 0))
                keep_iterations(r);
            double done = r.elapsed_s();
            std::fprintf(stderr,
                         "concbench: round %u of %u done: %zu benchmarks, "
                         "%s elapsed, about %s left\n",
                         k + 1, cfg.repetitions, cfg.benchmarks.size(),
                         duration(done).c_str(),
                         duration(done / (k + 1) * (cfg.repetitions - k - 1))
                             .c_str());
        }
        if (cfg.auto_budget_s >= 0)
            extra_rounds(cfg, r, rng, groups, members);
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
                r.run_one(i, k, 0);
            show(i); // as today: each benchmark's table rows as it ends
        }
    }

    // The steadiness figures go to the JSON, not the table: they need the
    // whole run (the typical canary), and scripts/compare sums them up.
    cb_forker_stop(r.forker);
    r.add_steadiness();
    for (size_t i = 0; i < cfg.benchmarks.size(); i++)
        report(json, r.runs(i), cfg.report_aggregates_only);
    json.Finalize();
    if (cfg.json_display)
        std::fputs(json_text.str().c_str(), stdout);
    return json_text.str();
}

} // namespace cb
