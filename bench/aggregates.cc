// Google Benchmark's aggregates over a benchmark's repetitions
// (aggregates.h).
#include "aggregates.h"

#include "stats.h"

#include <algorithm>
#include <map>
#include <string>

namespace cb {

std::vector<Run> aggregates(const std::vector<Run> &reps)
{
    std::vector<const Run *> ok;
    for (const Run &r : reps)
        if (!run_failed(r))
            ok.push_back(&r);
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

void report(benchmark::BenchmarkReporter &to, const std::vector<Run> &reps,
            bool aggregates_only)
{
    std::vector<Run> aggs = aggregates(reps);
    if (!(aggregates_only && !aggs.empty()))
        to.ReportRuns(reps);
    if (!aggs.empty())
        to.ReportRuns(aggs);
}

} // namespace cb
