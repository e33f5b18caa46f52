// The benchmarks of a run: kernel x mode x workers x payload x parent size
// (--parent-rss) x the modes' option values, and the baselines (x parent
// size), registered with Google Benchmark in that order, each known to the
// run loop by name (cb::Selected: its comparison, its serial run, its
// buffer for its first error).
#ifndef CB_REGISTRY_H
#define CB_REGISTRY_H

#include "cli.h"
#include "suite.h"

#include <memory>
#include <string>
#include <vector>

namespace cb {

struct Cases {
    std::vector<std::unique_ptr<cb_suite_case>> modes;
    std::vector<std::unique_ptr<cb_suite_baseline>> baselines;
    // Every benchmark in registration order, as Google Benchmark names it;
    // a round runs a kernel's benchmarks together, the baselines together.
    std::vector<Selected> names;
};

// Register every benchmark the options ask for. A case's fixture
// parameters are set later (cb_fixture_params), once its kernel's fixture
// has started.
Cases register_cases(const Options &o);

// The names --benchmark_filter selects, as Google Benchmark selects them:
// an extended regular expression searched in the name, "-" in front to
// negate, "" or "all" for every benchmark (checked already).
std::vector<Selected> select(const std::vector<Selected> &all,
                             std::string spec);

} // namespace cb

#endif
