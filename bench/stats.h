// Plain statistics on numbers, for the aggregates Google Benchmark reports
// (aggregates.cc) and --rounds=auto's decision (auto_rounds.cc).
#ifndef CB_STATS_H
#define CB_STATS_H

#include <vector>

namespace cb {

double median_of(std::vector<double> v); // 0 for none
double mean_of(const std::vector<double> &v);
// The sample standard deviation, as Google Benchmark computes it (0 for
// fewer than two).
double stddev_of(const std::vector<double> &v);
double cv_of(const std::vector<double> &v); // stddev / mean; 0 at mean 0

} // namespace cb

#endif
