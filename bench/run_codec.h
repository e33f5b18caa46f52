// A Google Benchmark run as bytes and back, for a repetition measured in a
// process of its own (csrc/isolate.h): the child sends the runs Google
// Benchmark reported, the driver reports them as if measured in place.
// Both ends are the same executable, so the bytes need no portability:
// numbers go as their machine representation, strings with their length.
#ifndef CB_RUN_CODEC_H
#define CB_RUN_CODEC_H

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace cb {

using Run = benchmark::BenchmarkReporter::Run;

std::string encode_runs(const std::vector<Run> &runs);

// False if the bytes are not what encode_runs makes (cut short, say).
bool decode_runs(const std::string &bytes, std::vector<Run> *runs);

// Whether a run failed (an error, or a skip with a message).
bool run_failed(const Run &r);
std::string run_error(const Run &r);

// Mark r failed with message, as Google Benchmark marks a skipped run.
void set_run_error(Run *r, const std::string &message);

} // namespace cb

#endif
