// The machine along a run (timeline.h).
#include "timeline.h"

#include "stats.h"

#include <algorithm>

namespace cb {

size_t Timeline::mark()
{
    Boundary b;
    cb_cpu_sample_take(&b.before);
    b.canary = cb_canary_rate();
    cb_cpu_sample_take(&b.after);
    b_.push_back(b);
    return b_.size() - 1;
}

double Timeline::elapsed_s(size_t i) const
{
    return (double)(b_[i].after.wall_ns - b_[0].after.wall_ns) / 1e9;
}

double Timeline::typical() const
{
    std::vector<double> canaries;
    for (const Boundary &b : b_)
        canaries.push_back(b.canary);
    return median_of(canaries);
}

double Timeline::seconds(size_t i) const
{
    return (double)(b_[i + 1].before.wall_ns - b_[i].after.wall_ns) / 1e9;
}

double Timeline::end_s(size_t i) const
{
    return (double)(b_[i + 1].before.wall_ns - b_[0].after.wall_ns) / 1e9;
}

double Timeline::speed(size_t i, double typical) const
{
    return typical > 0 ? (b_[i].canary + b_[i + 1].canary) / 2 / typical
                       : 0;
}

// Widened evenly into the repetitions before and after, as far as the run
// goes.
void Timeline::cpu_around(size_t i, double *steal, double *other) const
{
    size_t lo = i, hi = i + 1;
    auto span = [&] { return b_[hi].before.wall_ns - b_[lo].after.wall_ns; };
    while (span() < kMinCpuWindowNs && (lo > 0 || hi + 1 < b_.size())) {
        if (lo > 0)
            lo--;
        if (span() < kMinCpuWindowNs && hi + 1 < b_.size())
            hi++;
    }
    cb_cpu_between(&b_[lo].after, &b_[hi].before, steal, other);
}

double Timeline::load(size_t i) const
{
    double steal, other;
    cpu_around(i, &steal, &other);
    if (steal < 0 && other < 0)
        return -1;
    return std::max(steal, 0.0) + std::max(other, 0.0);
}

double Timeline::own_cpus(size_t i) const
{
    const Boundary &start = b_[i], &end = b_[i + 1];
    double wall = (double)(end.before.wall_ns - start.after.wall_ns);
    if (start.after.own_s < 0 || end.before.own_s < 0 || wall <= 0)
        return -1;
    return (end.before.own_s - start.after.own_s) / (wall / 1e9);
}

} // namespace cb
