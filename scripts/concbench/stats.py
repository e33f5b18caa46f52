"""Plain statistics on lists of numbers: no file, no benchmark, no rule.

Everything here is distribution-free and deterministic (no resampling), so
the same file always gives the same figures.  scipy is imported only by the
two tests that need it.
"""

import math
from dataclasses import dataclass


def quantile(ordered, q):
    """Quantile of sorted values by linear interpolation (numpy default)."""
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values):
    return quantile(sorted(values), 0.5) if values else None


def geomean(values):
    """Geometric mean of positive values (None for none)."""
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def ratio(new, base):
    """new / base; None when that is no finite number (base 0, or a
    quotient beyond the range of a float)."""
    if base > 0:
        r = new / base
        return r if math.isfinite(r) else None
    return 1.0 if new == 0 else None


@dataclass
class Spread:
    """Median, quartiles and flagged outliers of some repetitions."""

    median: float
    q1: float
    q3: float
    n: int
    outliers: list  # indices into the samples

    @property
    def iqr(self):
        return self.q3 - self.q1


def describe(samples):
    ordered = sorted(samples)
    q1 = quantile(ordered, 0.25)
    q3 = quantile(ordered, 0.75)
    fence = 1.5 * (q3 - q1)
    outliers = [i for i, x in enumerate(samples)
                if x < q1 - fence or x > q3 + fence]
    return Spread(quantile(ordered, 0.5), q1, q3, len(samples), outliers)


# ------------------------------------------- the median of one sample

def order_coverage(n, k):
    """The probability that [x_(k), x_(n+1-k)], order statistics of n
    independent values of a continuous distribution, holds its median:
    1 - 2 P(B <= k - 1) for B ~ Binomial(n, 1/2)."""
    return 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n


def median_interval(values, level):
    """(low, high, coverage): a distribution-free confidence interval for
    the median of values, or None for fewer than 2.

    The interval is [x_(k), x_(n+1-k)] of the sorted values with the
    largest k whose coverage (order_coverage) is at least level; when even
    k = 1 falls short (n <= 5 at 95 %), it is [min, max] with the coverage
    it has: 93.75 % for 5 values, 87.5 % for 4."""
    n = len(values)
    if n < 2:
        return None
    ordered = sorted(values)
    k = 1
    while k + 1 <= (n + 1) // 2 and order_coverage(n, k + 1) >= level:
        k += 1
    return ordered[k - 1], ordered[n - k], order_coverage(n, k)


# ------------------------------- the centre of paired differences

def signed_rank_counts(n):
    """counts[t]: how many of the 2^n sign patterns of ranks 1..n have a
    positive rank sum of t (the null distribution of Wilcoxon's T)."""
    top = n * (n + 1) // 2
    counts = [1] + [0] * top
    for r in range(1, n + 1):
        for s in range(top, r - 1, -1):
            counts[s] += counts[s - r]
    return counts


def hl_interval(values, level):
    """(estimate, low, high, coverage) for the centre of paired
    differences (their pseudo-median), or None for fewer than 2: the
    Hodges-Lehmann estimate (the median of the n (n + 1) / 2 Walsh
    averages (x_i + x_j) / 2, i <= j) and the interval that inverts the
    Wilcoxon signed-rank test: [w_(d), w_(N+1-d)] of the sorted averages,
    d the largest with P(T <= d - 1) at most (1 - level) / 2 under the
    null (exact). Narrower than the median's order-statistic interval for
    the same pairs (7 pairs: the 3rd to 26th of 28 averages) and
    distribution-free for differences symmetric about their centre; with
    too few pairs for the level (5 or fewer at 95 %) it is [min, max]
    with the coverage it has (93.75 % for 5)."""
    n = len(values)
    if n < 2:
        return None
    walsh = sorted((values[i] + values[j]) / 2
                   for i in range(n) for j in range(i, n))
    counts = signed_rank_counts(n)
    total = 2 ** n
    tail, d = 0, 0
    while d < len(counts) and 2 * (tail + counts[d]) / total <= 1 - level:
        tail += counts[d]
        d += 1
    # Now P(T <= d - 1) = tail / total <= (1 - level) / 2.
    d = max(d, 1)
    below = sum(counts[:d])             # P(T <= d - 1), times 2^n
    coverage = 1 - 2 * below / total
    return (quantile(walsh, 0.5), walsh[d - 1], walsh[len(walsh) - d],
            coverage)


def mann_whitney_counts(m, n):
    """counts[u]: how many of the C(m + n, m) orderings of two samples of
    sizes m and n give a Mann-Whitney U of u (its null distribution)."""
    # f[i][j][u] by the usual recursion, kept one row at a time.
    table = [[[1] + [0] * (i * j) for j in range(n + 1)]
             for i in range(m + 1)]
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            row = [0] * (i * j + 1)
            a = table[i - 1][j]      # the largest value is from sample 1
            b = table[i][j - 1]      # ... from sample 2: adds i to U
            for u, c in enumerate(a):
                row[u] += c
            for u, c in enumerate(b):
                row[u + i] += c
            table[i][j] = row
    return table[m][n]


def shift_interval(a, b, level):
    """(estimate, low, high, coverage) for the shift between two
    independent samples (a - b), or None with fewer than 2 on a side:
    the median of the m n differences a_i - b_j and the interval that
    inverts the Mann-Whitney test (Moses): [d_(k), d_(mn+1-k)], k the
    largest with P(U <= k - 1) at most (1 - level) / 2; when the samples
    are too small for the level (3 and 3 at 95 %), [min, max] with the
    coverage it has (90 % for 3 and 3)."""
    m, n = len(a), len(b)
    if m < 2 or n < 2:
        return None
    diffs = sorted(x - y for x in a for y in b)
    counts = mann_whitney_counts(m, n)
    total = sum(counts)
    tail, k = 0, 0
    while k < len(counts) and 2 * (tail + counts[k]) / total <= 1 - level:
        tail += counts[k]
        k += 1
    k = max(k, 1)
    below = sum(counts[:k])             # P(U <= k - 1), times the total
    coverage = 1 - 2 * below / total
    return (quantile(diffs, 0.5), diffs[k - 1], diffs[len(diffs) - k],
            coverage)


# ------------------------------------------------------------- tests

def min_pairs(alpha):
    """The fewest pairs with which a two-sided exact Wilcoxon signed-rank
    test can give p < alpha: its smallest p is 2 / 2^n (6 at 0.05)."""
    n = 1
    while 2.0 ** (1 - n) >= alpha:
        n += 1
    return n


def u_test(a, b, min_repetitions):
    """Two-sided Mann-Whitney U test; None when it cannot be done."""
    if min(len(a), len(b)) < min_repetitions:
        return None
    from scipy.stats import mannwhitneyu
    result = mannwhitneyu(a, b, alternative="two-sided")
    return {"u_statistic": float(result.statistic),
            "p_value": float(result.pvalue)}


def wilcoxon_test(differences, alpha):
    """Two-sided Wilcoxon signed-rank test of paired differences (exact
    for small samples without ties); None with fewer than min_pairs(alpha)
    differences, which could never reach alpha."""
    if len(differences) < min_pairs(alpha):
        return None
    if all(d == 0 for d in differences):
        return {"statistic": 0.0, "p_value": 1.0}
    import warnings
    from scipy.stats import wilcoxon
    with warnings.catch_warnings():
        # With a zero difference or ties scipy switches to the normal
        # approximation, and says so on stderr.
        warnings.simplefilter("ignore")
        result = wilcoxon(differences, alternative="two-sided")
    return {"statistic": float(result.statistic),
            "p_value": float(result.pvalue)}
