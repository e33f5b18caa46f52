// Running the registered benchmarks in rounds (or one benchmark after the
// other), each repetition on its own, with the machine's steadiness sampled
// around it; then the repetitions, their aggregates and the context as
// Google Benchmark's own console table and JSON.
#ifndef CB_ROUNDS_H
#define CB_ROUNDS_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cb {

enum class Order {
    Rounds,     // round k runs every benchmark once, shuffled by kernel
    Sequential, // each benchmark's repetitions back to back, in order
};

// What Google Benchmark adds to the name of a benchmark timed by hand (and
// every concbench benchmark is).
constexpr const char *kManualTimeSuffix = "/manual_time";

struct Selected {
    std::string name;  // Google Benchmark's, with kManualTimeSuffix
    std::string group; // repetitions of one group run together in a round
    // Its comparison (kernel, payload, tasks, workers: the strategies
    // scripts/compare crowns a best among), "" for none (a baseline); and
    // the name of the serial run its speedup is over ("" for none).
    std::string compare, serial;
    // For a repetition whose process ended before it reported: Google
    // Benchmark's family index (its registration order) and the label.
    int64_t family_index = 0;
    std::string label;
    unsigned workers = 1; // W
    // Makes every repetition of it run exactly n batches (bench/batches.h).
    std::function<void(int64_t n)> set_batches;
    // Told of a repetition that failed, with its message: a benchmark
    // that failed stays failed (bench/suite.h).
    std::function<void(const std::string &)> failed;
};

struct RoundsConfig {
    std::vector<Selected> benchmarks; // in registration order
    unsigned repetitions = 1;         // rounds, or repetitions of each
    Order order = Order::Rounds;
    // --rounds=auto: after the rounds, extra rounds of the comparisons
    // still undecided (auto_rounds.h) while the run's time, from its start,
    // stays within this many seconds; < 0: no extra rounds.
    double auto_budget_s = -1;
    double margin = 0.02; // a smaller difference is a tie (--margin)
    unsigned batches = 1; // --batches (bench/batches.h); 1: none fixed
    double cpus = 0;      // the run may use (for other work's effect)
    bool display_aggregates_only = false; // console: aggregates only
    bool report_aggregates_only = false;  // console and JSON
    bool tabular = false;                 // console: counters as columns
    bool color = false;
    bool json_display = false; // --benchmark_format=json: JSON on stdout
};

// Run every selected benchmark cfg.repetitions times (in rounds, plus the
// extra rounds of --rounds=auto). Prints progress to stderr and the table
// to stdout; returns the JSON text of the whole run
// (context, every repetition, aggregates).
std::string run_rounds(const RoundsConfig &cfg);

} // namespace cb

#endif
