// Google Benchmark's aggregates over a benchmark's repetitions, computed
// as Google Benchmark computes them, and the runs a reporter shows: the
// driver runs each repetition on its own (rounds.h), so Google Benchmark
// never sees them together to aggregate them itself.
#ifndef CB_AGGREGATES_H
#define CB_AGGREGATES_H

#include "run_codec.h"

#include <benchmark/benchmark.h>

#include <vector>

namespace cb {

// Mean, median, stddev and cv over the repetitions that did not fail
// (none with fewer than two), of the time per iteration of each and of
// every counter.
std::vector<Run> aggregates(const std::vector<Run> &reps);

// Give a reporter a benchmark's repetitions and their aggregates, as
// Google Benchmark chooses them: aggregates only if asked and there are
// any.
void report(benchmark::BenchmarkReporter &to, const std::vector<Run> &reps,
            bool aggregates_only);

} // namespace cb

#endif
