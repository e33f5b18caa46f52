// --rounds=auto's decision (auto_rounds.h), the rules of
// scripts/cbresults.py's verdict_json in C++.
#include "auto_rounds.h"

#include "stats.h"

#include <algorithm>
#include <cmath>

namespace cb {

namespace {

// How much other work could have stretched a repetition asking for
// demand CPUs: (demand + load) / CPUs when above 1.
double stretch(const Rep &r, double demand, double cpus)
{
    if (r.load < 0 || cpus <= 0)
        return 1;
    return std::max(1.0, (demand + r.load) / cpus);
}

// Repetitions of a and b of one round, and how disturbed the pair was.
struct Pair {
    double a, b;        // their times
    bool disturbed;
    double factor;      // the most the disturbance could move a / b
};

std::vector<Pair> pairs_of(const Measured &a, const Measured &b,
                           const Machine &m)
{
    std::vector<Pair> out;
    bool cpu = a.cpu_bound || b.cpu_bound;
    for (const auto &ra : a.reps) {
        auto rb = b.reps.find(ra.first);
        if (rb == b.reps.end() || ra.second.time <= 0 || rb->second.time <= 0)
            continue;
        const Rep &x = ra.second, &y = rb->second;
        double sx = stretch(x, a.demand, m.cpus);
        double sy = stretch(y, b.demand, m.cpus);
        bool disturbed = sx > 1 + kBusyStretch || sy > 1 + kBusyStretch;
        double factor = std::max(sx, sy);
        if (cpu && x.speed > 0 && y.speed > 0) {
            double delta = std::fabs(std::log(x.speed / y.speed));
            disturbed = disturbed || delta > m.canary_limit;
            factor *= std::exp(delta);
        }
        out.push_back({x.time, y.time, disturbed, factor});
    }
    return out;
}

// The pairs kept: without the disturbed ones while at least
// kMinCleanPairs and half of them are left, else all.
std::vector<Pair> kept(const std::vector<Pair> &all)
{
    std::vector<Pair> clean;
    for (const Pair &p : all)
        if (!p.disturbed)
            clean.push_back(p);
    if (clean.size() == all.size() ||
        (clean.size() >= kMinCleanPairs && 2 * clean.size() >= all.size()))
        return clean;
    return all;
}

bool any_disturbed(const std::vector<Pair> &pairs)
{
    for (const Pair &p : pairs)
        if (p.disturbed)
            return true;
    return false;
}

// The order-statistic interval of the median (cbstats.median_interval):
// its low end, or 0 for fewer than 2 values.
double median_low(std::vector<double> v, double level)
{
    size_t n = v.size();
    if (n < 2)
        return 0;
    std::sort(v.begin(), v.end());
    auto coverage = [n](size_t k) {
        double tail = 0;
        for (size_t i = 0; i < k; i++) {
            double c = 1;
            for (size_t j = 0; j < i; j++)
                c = c * (double)(n - j) / (double)(j + 1);
            tail += c;
        }
        return 1 - 2 * tail / std::pow(2.0, (double)n);
    };
    size_t k = 1;
    while (k + 1 <= (n + 1) / 2 && coverage(k + 1) >= level)
        k++;
    return v[k - 1];
}

struct Ranked {
    const Measured *m;
    double median_time, speedup;
    bool marked; // compare would mark its row: the fastest cannot be crowned
};

Ranked rank_entry(const Measured &s, const Machine &machine)
{
    std::vector<double> times;
    for (const auto &r : s.reps)
        times.push_back(r.second.time);
    Ranked out{&s, median_of(times), 0, false};
    if (!s.serial)
        return out;
    if (s.serial == &s) {
        out.speedup = 1;
        return out;
    }
    std::vector<Pair> all = pairs_of(s, *s.serial, machine), use = kept(all);
    std::vector<double> speedups;
    for (const Pair &p : use)
        speedups.push_back(p.b / p.a);
    out.speedup = median_of(speedups);
    out.marked = any_disturbed(use);
    double limit = machine.cpus > 0 ? std::min((double)s.workers, machine.cpus)
                                    : (double)s.workers;
    if (s.cpu_bound && median_low(speedups, kCiLevel) > limit * kImpossibleLow)
        out.marked = true;
    return out;
}

enum class Status { Tied, Slower, Undecided };

// other against the fastest: its status and how many pairs decided it.
Status versus(const Measured &top, const Measured &other,
              const Machine &machine, double margin, size_t *n)
{
    std::vector<Pair> use = kept(pairs_of(other, top, machine));
    std::vector<double> logs;
    double widen = 1;
    for (const Pair &p : use) {
        logs.push_back(std::log(p.a / p.b));
        if (p.disturbed)
            widen = std::max(widen, p.factor);
    }
    *n = logs.size();
    Interval iv;
    if (!hl_interval(logs, kVerdictLevel, &iv) || iv.coverage < kVerdictLevel)
        return Status::Undecided;
    double low = iv.low - std::log(widen), high = iv.high + std::log(widen);
    double edge = std::log1p(margin);
    if (low > edge)
        return Status::Slower;
    if (low >= -edge && high <= edge)
        return Status::Tied;
    return Status::Undecided;
}

} // namespace

double canary_limit(const std::vector<double> &speeds)
{
    std::vector<double> steps;
    for (size_t i = 1; i < speeds.size(); i++)
        if (speeds[i] > 0 && speeds[i - 1] > 0)
            steps.push_back(std::fabs(std::log(speeds[i] / speeds[i - 1])));
    double floor = std::log1p(kCanaryFloor);
    if (steps.size() < kMinCanaryNeighbours)
        return floor;
    return std::max(floor, kCanarySigmas * kMadToSd * median_of(steps));
}

bool hl_interval(const std::vector<double> &v, double level, Interval *out)
{
    size_t n = v.size();
    if (n < 2)
        return false;
    std::vector<double> walsh;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            walsh.push_back((v[i] + v[j]) / 2);
    std::sort(walsh.begin(), walsh.end());
    // counts[t]: sign patterns of ranks 1..n with positive rank sum t.
    size_t top = n * (n + 1) / 2;
    std::vector<double> counts(top + 1, 0);
    counts[0] = 1;
    for (size_t r = 1; r <= n; r++)
        for (size_t s = top; s >= r; s--)
            counts[s] += counts[s - r];
    double total = std::pow(2.0, (double)n), tail = 0;
    size_t d = 0;
    while (d < counts.size() && 2 * (tail + counts[d]) / total <= 1 - level)
        tail += counts[d++];
    d = std::max<size_t>(d, 1);
    double below = 0;
    for (size_t i = 0; i < d; i++)
        below += counts[i];
    size_t m = walsh.size();
    out->centre = m % 2 ? walsh[m / 2] : (walsh[m / 2 - 1] + walsh[m / 2]) / 2;
    out->low = walsh[d - 1];
    out->high = walsh[m - d];
    out->coverage = 1 - 2 * below / total;
    return true;
}

std::vector<Open> undecided_groups(const std::vector<Measured> &all,
                                   const Machine &machine, double margin,
                                   size_t *exhausted)
{
    if (exhausted)
        *exhausted = 0;
    std::vector<std::string> order;
    std::map<std::string, std::vector<const Measured *>> groups;
    for (const Measured &m : all) {
        if (m.group.empty())
            continue;
        if (!groups.count(m.group))
            order.push_back(m.group);
        groups[m.group].push_back(&m);
    }
    std::vector<Open> out;
    for (const std::string &g : order) {
        std::vector<Ranked> ranked;
        size_t ok = 0;
        bool paired = true;
        for (const Measured *m : groups[g]) {
            if (m->failed)
                continue;
            ok++;
            if (m->reps.empty())
                continue;
            ranked.push_back(rank_entry(*m, machine));
            paired = paired && ranked.back().speedup > 0;
        }
        if (ok < 2)
            continue; // nothing to compare: no round helps
        Open open{g, {}};
        if (ranked.size() < ok) {
            // A strategy without a repetition yet: all of them again.
            for (const Ranked &r : ranked)
                open.contenders.push_back(r.m);
            out.push_back(open);
            continue;
        }
        std::sort(ranked.begin(), ranked.end(),
                  [paired](const Ranked &a, const Ranked &b) {
                      if (paired && a.speedup != b.speedup)
                          return a.speedup > b.speedup;
                      return a.median_time < b.median_time;
                  });
        const Measured &top = *ranked[0].m;
        bool undecided = false, left = false;
        for (size_t i = 1; i < ranked.size(); i++) {
            size_t n = 0;
            if (versus(top, *ranked[i].m, machine, margin, &n) !=
                Status::Undecided)
                continue;
            if (n < kEnoughPairs) {
                undecided = true;
                open.contenders.push_back(ranked[i].m);
            } else {
                left = true;
            }
        }
        // The fastest row marked: more rounds may clear it (or not).
        if (ranked[0].marked && top.reps.size() < kEnoughPairs)
            undecided = true;
        if (undecided) {
            open.contenders.insert(open.contenders.begin(), &top);
            out.push_back(open);
        } else if (left && exhausted) {
            ++*exhausted;
        }
    }
    return out;
}

} // namespace cb
