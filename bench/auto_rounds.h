// --rounds=auto: which comparisons are still undecided after the rounds so
// far, so that extra rounds go to them only, and within them only to the
// strategies that can still change the verdict. A comparison is the
// strategies of one kernel, task count and worker count, as
// scripts/compare gives it a verdict (cbresults.py: verdict_json): the
// fastest (by median paired speedup over serial where every strategy has
// one, else by median time) against every other, by the Hodges-Lehmann
// interval of their per-round log time ratios; the other is tied with it
// when the interval lies within the margin either way, clearly slower
// when above it, undecided otherwise. The comparison is decided when none
// is undecided, or when every undecided one has had kEnoughPairs pairs
// (then "undecided" is an honest answer, not "too few rounds"). Pairs
// measured on a disturbed machine do not count, by compare's rules (other
// work that could stretch a repetition, a canary that moved between the
// two sides), which come from scripts/cbrules.py through the generated
// verdict_rules.h. Plain numbers in, names out: no Google Benchmark here.
#ifndef CB_AUTO_ROUNDS_H
#define CB_AUTO_ROUNDS_H

#include "verdict_rules.h"

#include <map>
#include <string>
#include <vector>

namespace cb {

constexpr double kAlpha = 0.05; // scripts/compare's default

// One repetition as the decision sees it.
struct Rep {
    double time = 0;  // its time per batch, in any one unit
    double speed = 0; // the canary beside it, over the run's typical; 0: unknown
    double load = -1; // CPUs of other work and steal beside it; < 0: unknown
};

// One benchmark's repetitions as the decision sees them.
struct Measured {
    std::string group;            // its comparison; "" for none
    std::map<unsigned, Rep> reps; // round -> repetition, those that ran
    bool failed = false;          // an errored benchmark is no strategy
    // The serial run its speedup is over (itself for the serial run), or
    // null: then the comparison ranks by median time, as compare does.
    const Measured *serial = nullptr;
    double demand = 0;     // CPUs it asks for (cpu_util, at most min(W, CPUs))
    bool cpu_bound = true; // its kernel needs a CPU
    unsigned workers = 1;  // W
};

struct Machine {
    double cpus = 0;                   // the run may use; 0: unknown
    double canary_limit = kCanaryFloor; // a pair's |log canary ratio| beyond
                                        // this is disturbed
};

// A pair's canaries differ beyond this (log), given the machine_speed of
// every repetition so far in time order: kCanarySigmas times their robust
// spread between neighbours, at least log(1 + kCanaryFloor).
double canary_limit(const std::vector<double> &speeds);

// The Hodges-Lehmann centre of v and the interval that inverts the
// Wilcoxon signed-rank test at level (exact); with too few values for the
// level, [min, max] and its coverage. False for fewer than 2 values.
struct Interval {
    double centre = 0, low = 0, high = 0, coverage = 0;
};
bool hl_interval(const std::vector<double> &v, double level, Interval *out);

// An undecided comparison and the strategies worth another round in it:
// the fastest and those not yet tied with it nor clearly slower.
struct Open {
    std::string group;
    std::vector<const Measured *> contenders;
};

// The comparisons still undecided, in first-seen order; with exhausted,
// how many others are undecided too but have had kEnoughPairs pairs (no
// more rounds for them: "undecided" is their answer).
std::vector<Open> undecided_groups(const std::vector<Measured> &all,
                                   const Machine &machine, double margin,
                                   size_t *exhausted = nullptr);

} // namespace cb

#endif
