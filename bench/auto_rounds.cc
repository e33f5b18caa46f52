// --rounds=auto's decision (auto_rounds.h).
#include "auto_rounds.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace cb {

double wilcoxon_p(std::vector<double> d)
{
    d.erase(std::remove(d.begin(), d.end(), 0.0), d.end());
    size_t n = d.size();
    if (n == 0)
        return 1;
    // Ranks of |d|, ties given their mean rank.
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return std::fabs(d[a]) < std::fabs(d[b]);
    });
    std::vector<double> rank(n);
    bool ties = false;
    double tie_term = 0; // sum of t^3 - t over the groups of ties
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && std::fabs(d[order[j + 1]]) == std::fabs(d[order[i]]))
            j++;
        double t = (double)(j - i + 1);
        if (j > i) {
            ties = true;
            tie_term += t * t * t - t;
        }
        for (size_t k = i; k <= j; k++)
            rank[order[k]] = (double)(i + j) / 2 + 1;
        i = j + 1;
    }
    double r_plus = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] > 0)
            r_plus += rank[i];
    double total = (double)n * (double)(n + 1) / 2;
    double t = std::min(r_plus, total - r_plus);
    if (!ties && n <= 50) {
        // Under the null each rank is positive or negative with
        // probability 1/2: count the sign patterns by their sum of ranks.
        size_t max = n * (n + 1) / 2;
        std::vector<double> ways(max + 1, 0);
        ways[0] = 1;
        for (size_t r = 1; r <= n; r++)
            for (size_t s = max; s >= r; s--)
                ways[s] += ways[s - r];
        double below = 0;
        for (size_t s = 0; s <= (size_t)t; s++)
            below += ways[s];
        return std::min(1.0, 2 * below / std::pow(2.0, (double)n));
    }
    double mean = total / 2;
    double var = (double)n * (double)(n + 1) * (double)(2 * n + 1) / 24 -
                 tie_term / 48;
    if (var <= 0)
        return 1;
    double z = (t - mean) / std::sqrt(var);
    return std::min(1.0, std::erfc(std::fabs(z) / std::sqrt(2.0)));
}

unsigned min_pairs(double alpha)
{
    unsigned n = 1;
    while (std::pow(2.0, 1.0 - n) >= alpha)
        n++;
    return n;
}

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The median of a strategy's speedups over its serial run, pair by pair
// (its clean rounds that serial has clean too); 0 without a pair.
double paired_speedup(const Measured &m)
{
    std::vector<double> ratios;
    for (const auto &rt : m.clean) {
        auto s = m.serial->clean.find(rt.first);
        if (s != m.serial->clean.end() && rt.second > 0)
            ratios.push_back(s->second / rt.second);
    }
    return ratios.empty() ? 0 : median(ratios);
}

// Whether the comparison of these strategies is decided.
bool decided(const std::vector<const Measured *> &strategies)
{
    struct Ranked {
        double median_time, speedup;
        const Measured *m;
    };
    std::vector<Ranked> ranked;
    size_t ok = 0;
    bool paired = true;
    for (const Measured *m : strategies) {
        if (m->failed)
            continue;
        ok++;
        std::vector<double> times;
        for (const auto &rt : m->clean)
            times.push_back(rt.second);
        if (times.empty())
            continue;
        double speedup = m->serial ? paired_speedup(*m) : 0;
        paired = paired && speedup > 0;
        ranked.push_back({median(times), speedup, m});
    }
    if (ok < 2)
        return true; // nothing to compare: no round helps
    if (ranked.size() < 2)
        return false; // every repetition disturbed so far
    std::sort(ranked.begin(), ranked.end(),
              [paired](const Ranked &a, const Ranked &b) {
                  if (paired && a.speedup != b.speedup)
                      return a.speedup > b.speedup;
                  return a.median_time < b.median_time;
              });
    const Measured &best = *ranked[0].m, &second = *ranked[1].m;
    std::vector<double> d;
    for (const auto &rt : best.clean) {
        auto other = second.clean.find(rt.first);
        if (other != second.clean.end() && rt.second > 0 && other->second > 0)
            d.push_back(std::log(other->second / rt.second));
    }
    if (d.size() < min_pairs(kAlpha))
        return false;
    return wilcoxon_p(d) < kAlpha || d.size() >= kEnoughPairs;
}

} // namespace

std::vector<std::string> undecided_groups(const std::vector<Measured> &all)
{
    std::vector<std::string> order;
    std::map<std::string, std::vector<const Measured *>> groups;
    for (const Measured &m : all) {
        if (m.group.empty())
            continue;
        if (!groups.count(m.group))
            order.push_back(m.group);
        groups[m.group].push_back(&m);
    }
    std::vector<std::string> out;
    for (const std::string &g : order)
        if (!decided(groups[g]))
            out.push_back(g);
    return out;
}

} // namespace cb
