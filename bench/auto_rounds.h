// --rounds=auto: which comparisons are still undecided after the rounds so
// far, so that extra rounds go to them only. A comparison is the strategies
// of one kernel, task count and worker count, as scripts/compare crowns a
// best one among them: the best (lowest median) against the runner-up,
// paired by round, by a Wilcoxon signed-rank test on the log time ratios.
// The best and the runner-up are ranked as compare ranks them: by median
// paired speedup over serial where every strategy has one, else by median
// time. It is decided once the test says p < alpha, or once it has had
// kEnoughPairs pairs (then "not distinguishable" is an honest answer, not
// "too few repetitions"). Repetitions on a disturbed machine do not count,
// with scripts/compare's thresholds (cbresults.py: UNSTEADY_RANGE,
// BUSY_CPUS). Plain numbers in, names out: no Google Benchmark here.
#ifndef CB_AUTO_ROUNDS_H
#define CB_AUTO_ROUNDS_H

#include <map>
#include <string>
#include <vector>

namespace cb {

constexpr double kAlpha = 0.05;        // scripts/compare's default
constexpr unsigned kEnoughPairs = 12;  // then no difference is an answer
constexpr double kUnsteadyRange = 1.1; // canary beyond this of the median
constexpr double kBusyCpus = 0.3;      // other processes plus steal

// One benchmark's repetitions as the decision sees them.
struct Measured {
    std::string group;                // its comparison; "" for none
    std::map<unsigned, double> clean; // round -> time, undisturbed ones
    bool failed = false;              // an errored benchmark is no strategy
    // The serial run its speedup is over (itself for the serial run), or
    // null: then the comparison ranks by median time, as compare does.
    const Measured *serial = nullptr;
};

// The two-sided p of the Wilcoxon signed-rank test of d (zeros dropped,
// ties given their mean rank): exact without ties up to 50 values, the
// normal approximation otherwise, as scipy.stats.wilcoxon. 1 when empty.
double wilcoxon_p(std::vector<double> d);

// The smallest number of pairs with which the exact test can reach alpha.
unsigned min_pairs(double alpha);

// The groups, in first-seen order, whose comparison is still undecided.
std::vector<std::string> undecided_groups(const std::vector<Measured> &all);

} // namespace cb

#endif
