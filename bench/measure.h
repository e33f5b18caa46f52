// One repetition of one benchmark, measured in a process of its own that a
// forker forks (csrc/isolate.h): every repetition starts from the same
// process, whatever ran before it, and a kernel that ends that process
// ends only that measurement. The process runs Google Benchmark on that
// one benchmark, records its own size as it starts (parent_rss_bytes,
// parent_mapped_bytes: what its fork-based modes fork) and sends the runs
// back as bytes (run_codec.h).
#ifndef CB_MEASURE_H
#define CB_MEASURE_H

#include "executor.h"
#include "isolate.h"
#include "rounds.h"
#include "run_codec.h"

#include <string>
#include <vector>

namespace cb {

// What the driver fixed of a benchmark's repetitions: the batches each
// runs (0: Google Benchmark finds them by the minimum time), and whether
// its time is their fastest, fastest_of = that count (bench/batches.h).
struct Fixed {
    int64_t iterations = 0;
    unsigned fastest_of = 0;
};

// Start the forker for these benchmarks (kept by reference: they must
// outlive it); null with err set when it cannot start. fixed, when given
// (one per benchmark, kept by reference too): what the driver fixed of
// each, which the benchmark's registration must say already (its
// set_batches); its runs then say fastest_of in the counter kFastestOf.
cb_forker *start_measuring(const std::vector<Selected> &benchmarks,
                           cb_error *err,
                           const std::vector<Fixed> *fixed = nullptr);

// Repetition of benchmark i (its index in those benchmarks): the run
// Google Benchmark reported, or a failed run saying why there is none.
Run measure(cb_forker *forker, size_t i);

// A failed repetition of s that no process reported: its error only.
Run failed_run(const Selected &s, const std::string &why);

} // namespace cb

#endif
