// How many batches a repetition runs, and which of their times is its
// time. Google Benchmark runs a benchmark's batches until they last the
// minimum time (--benchmark_min_time) and reports their mean. A kernel
// whose batch is long (gmp_pow, logpow at the suite's 0.05 s) then gets
// one batch a repetition, and a slow spell of the machine inside it is
// all of it: on a VM a quarter of such repetitions ran 10 % slow or more,
// and the verdicts between strategies a percent apart stayed undecided
// (docs/results/verdicts-vm/). So, for such kernels only, every
// benchmark of the workload runs exactly N batches (--batches) and a
// repetition's time is the fastest of them, which a spell moves only
// when it lasts the whole repetition; the same N for every strategy, so
// that none is favoured by more tries. Which kernels: one repetition of
// each workload's serial run, measured before the rounds and not kept,
// says whether its tasks need a CPU (cpu_util >= kCpuBoundUtil: a spell
// slows computing, not io_sleep's sleeping) and whether it reached the
// minimum time within N batches (Google Benchmark stops once the batches
// last the minimum time, so at --benchmark_min_time=0 every such kernel
// is fixed: 1 batch is already enough there).
//
// The JSON says it of each such repetition: the counter fastest_of = N
// (kFastestOf), and then its time is batch_min_s, not real_time
// (repetition_s; scripts/concbench/load.py reads it alike).
#ifndef CB_BATCHES_H
#define CB_BATCHES_H

#include "rounds.h"
#include "run_codec.h"

#include <functional>
#include <vector>

namespace cb {

constexpr const char *kFastestOf = "fastest_of";

// For each benchmark, the batches its repetitions run (0: as the minimum
// time decides), from one repetition of each serial run that measure
// gives; each serial run's decision holds for the benchmarks compared
// with it. With n <= 1, all 0 and nothing measured.
std::vector<unsigned>
choose_batches(const std::vector<Selected> &benchmarks, unsigned n,
               const std::function<Run(size_t)> &measure);

// A repetition's time in seconds: its fastest batch where it says it ran
// a fixed number of them (kFastestOf), else its time per batch.
double repetition_s(const Run &run);

} // namespace cb

#endif
