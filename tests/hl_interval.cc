// --rounds=auto's interval (bench/auto_rounds.h: hl_interval) of the
// numbers given, at the verdicts' level (90 %), for tests/test_rounds_auto.py to check against
// the definition and scripts/cbstats.py: usage: hl_interval D...
// prints "centre low high coverage", or "none" for fewer than 2.
#include "auto_rounds.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv)
{
    std::vector<double> d;
    for (int i = 1; i < argc; i++)
        d.push_back(std::strtod(argv[i], nullptr));
    cb::Interval iv;
    if (!cb::hl_interval(d, cb::kVerdictLevel, &iv)) {
        std::printf("none\n");
        return 0;
    }
    std::printf("%.17g %.17g %.17g %.17g\n", iv.centre, iv.low, iv.high,
                iv.coverage);
    return 0;
}
