// Running the registered benchmarks in rounds (or one benchmark after the
// other), each repetition on its own, with the machine's steadiness sampled
// around it; then the repetitions, their aggregates and the context as
// Google Benchmark's own console table and JSON.
#ifndef CB_ROUNDS_H
#define CB_ROUNDS_H

#include <string>
#include <vector>

namespace cb {

enum class Order {
    Rounds,     // round k runs every benchmark once, shuffled by kernel
    Sequential, // each benchmark's repetitions back to back, in order
};

struct Selected {
    std::string name;  // Google Benchmark's, with "/manual_time"
    std::string group; // repetitions of one group run together in a round
};

struct RoundsConfig {
    std::vector<Selected> benchmarks; // in registration order
    unsigned repetitions = 1;         // rounds, or repetitions of each
    Order order = Order::Rounds;
    bool display_aggregates_only = false; // console: aggregates only
    bool report_aggregates_only = false;  // console and JSON
    bool tabular = false;                 // console: counters as columns
    bool color = false;
    bool json_display = false; // --benchmark_format=json: JSON on stdout
};

// Run every selected benchmark cfg.repetitions times. Prints progress to
// stderr and the table to stdout; returns the JSON text of the whole run
// (context, every repetition, aggregates).
std::string run_rounds(const RoundsConfig &cfg);

} // namespace cb

#endif
