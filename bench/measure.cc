// One repetition in a process of its own (measure.h).
#include "measure.h"

#include "batches.h"
#include "suite.h"
#include "sysinfo.h"

#include <cstdlib>
#include <cstring>

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

// The benchmarks, for the measuring processes: their index is a request;
// and what the driver fixed of each, or null.
const std::vector<Selected> *measured = nullptr;
const std::vector<Fixed> *fixed_of = nullptr;

// What a process measuring one repetition does: Google Benchmark's run of
// that one benchmark, its runs as bytes.
void measure_child(uint32_t what, char **answer, size_t *len)
{
    const Selected &s = (*measured)[what];
    // Its own size as it starts, which its fork-based modes fork from (the
    // forker's, the same for every repetition).
    unsigned long long rss = 0, mapped = 0;
    cb_self_memory(&rss, &mapped);
    // Google Benchmark names a benchmark with a fixed count of batches by
    // it too (".../iterations:3/manual_time"); its runs are reported
    // under its own name, as the others are.
    Fixed fixed = fixed_of ? (*fixed_of)[what] : Fixed{};
    std::string name = s.name;
    const std::string tail = kManualTimeSuffix;
    if (fixed.iterations && name.size() > tail.size() &&
        name.compare(name.size() - tail.size(), tail.size(), tail) == 0)
        name.insert(name.size() - tail.size(),
                    "/iterations:" + std::to_string(fixed.iterations));
    Collector c;
    benchmark::RunSpecifiedBenchmarks(&c, exactly(name));
    // Its workers end with its measurement (bench/suite.h).
    cb_suite_release();
    for (Run &run : c.got) {
        run.run_name.iterations.clear();
        if (fixed.fastest_of)
            run.counters[kFastestOf] = fixed.fastest_of;
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

} // namespace

cb_forker *start_measuring(const std::vector<Selected> &benchmarks,
                           cb_error *err,
                           const std::vector<Fixed> *fixed)
{
    measured = &benchmarks;
    fixed_of = fixed;
    cb_forker *forker = nullptr;
    if (cb_forker_start(measure_child, &forker, err) < 0)
        return nullptr;
    return forker;
}

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

} // namespace cb
