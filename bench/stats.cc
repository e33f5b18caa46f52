// Plain statistics on numbers (stats.h).
#include "stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cb {

double median_of(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mean_of(const std::vector<double> &v)
{
    return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) /
                               (double)v.size();
}

double stddev_of(const std::vector<double> &v)
{
    if (v.size() < 2)
        return 0;
    double m = mean_of(v), sq = 0;
    for (double x : v)
        sq += (x - m) * (x - m);
    return std::sqrt(sq / (double)(v.size() - 1));
}

double cv_of(const std::vector<double> &v)
{
    double m = mean_of(v);
    return m == 0 ? 0 : stddev_of(v) / m;
}

} // namespace cb
