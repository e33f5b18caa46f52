// The Google Benchmark flags concbench passes through (--benchmark_...):
// checked before anything runs, and put in the form the Google Benchmark
// concbench is built against understands.
#ifndef CB_GBFLAGS_H
#define CB_GBFLAGS_H

#include <string>
#include <vector>

namespace cb {

// Checks every --benchmark_ flag in gb, and rewrites --benchmark_min_time
// (given as 0.5 or 0.5s) into the library's own form. Returns "" when all
// of them can work, else one line naming the flag and what is wrong (for
// a usage error, exit status 2). Flags it does not know are left to Google
// Benchmark, which refuses them.
std::string check_gbench_flags(std::vector<std::string> &gb);

// Whether a checked boolean flag's value is true ("" is: --flag alone).
bool gbench_flag_true(const std::string &value);

// --benchmark_min_time=<seconds> in the library's form: "0.2s", or a bare
// "0.2" before Google Benchmark 1.8.
std::string gbench_min_time_flag(const std::string &seconds);

} // namespace cb

#endif
