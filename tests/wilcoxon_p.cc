// The p of --rounds=auto's Wilcoxon signed-rank test (bench/auto_rounds.h)
// of the numbers given, for tests/test_rounds_auto.py to check against
// scipy's: usage: wilcoxon_p D...
#include "auto_rounds.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv)
{
    std::vector<double> d;
    for (int i = 1; i < argc; i++)
        d.push_back(std::strtod(argv[i], nullptr));
    std::printf("%.17g\n", cb::wilcoxon_p(d));
    return 0;
}
