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

// The Google Benchmark flags the driver handles itself, taken out of gb
// once bench/gbflags.cc has checked them: the run loop is the driver's
// (bench/rounds.cc), and so is the output file.
struct RunFlags {
    std::string out;                 // --benchmark_out
    unsigned repetitions = 1;        // --benchmark_repetitions
    std::string filter = ".";        // --benchmark_filter
    bool list_tests = false;         // --benchmark_list_tests
    bool interleaving = false;       // --benchmark_enable_random_interleaving
    bool json_display = false;       // --benchmark_format=json
    bool display_aggregates_only = false;
    bool report_aggregates_only = false;
    bool tabular = false;            // --benchmark_counters_tabular
    std::string color = "auto";      // --benchmark_color
};

// Takes those flags out of gb (checked already), leaving the others.
RunFlags take_run_flags(std::vector<std::string> &gb);

// Whether the console gets colours (--benchmark_color): Google
// Benchmark's rule for auto.
bool use_color(const std::string &color);

} // namespace cb

#endif
