// How many batches a repetition runs (batches.h).
#include "batches.h"

#include "verdict_rules.h"

#include <map>
#include <set>
#include <string>

namespace cb {

std::vector<unsigned>
choose_batches(const std::vector<Selected> &benchmarks, unsigned n,
               const std::function<Run(size_t)> &measure)
{
    std::vector<unsigned> out(benchmarks.size(), 0);
    if (n <= 1)
        return out;
    std::map<std::string, size_t> index;
    std::set<std::string> serials; // the serial runs others name
    for (size_t i = 0; i < benchmarks.size(); i++) {
        index[benchmarks[i].name] = i;
        serials.insert(benchmarks[i].serial);
    }
    std::map<std::string, bool> fixed; // serial name -> its decision
    for (size_t i = 0; i < benchmarks.size(); i++) {
        // A serial run is its own serial; the others name theirs.
        std::string serial = benchmarks[i].serial;
        if (serial.empty() && serials.count(benchmarks[i].name))
            serial = benchmarks[i].name;
        auto found = index.find(serial);
        if (found == index.end())
            continue; // no serial run selected: nothing to decide by
        if (!fixed.count(serial)) {
            Run probe = measure(found->second);
            auto util = probe.counters.find("cpu_util");
            fixed[serial] = !run_failed(probe) &&
                            util != probe.counters.end() &&
                            util->second.value >= kCpuBoundUtil &&
                            probe.iterations <= (int64_t)n;
        }
        if (fixed[serial])
            out[i] = n;
    }
    return out;
}

double repetition_s(const Run &run)
{
    auto fastest = run.counters.find(kFastestOf);
    auto min = run.counters.find("batch_min_s");
    if (fastest != run.counters.end() && min != run.counters.end() &&
        min->second.value > 0)
        return min->second.value;
    return run.GetAdjustedRealTime() /
           benchmark::GetTimeUnitMultiplier(run.time_unit);
}

} // namespace cb
