"""Small-sample statistics for groups of seven: Student-t intervals and reliable change.

Every function takes aggregates (n, sum, sum of squares) that SQL has computed;
nothing here loops over participants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (standard tables).
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)
Z_975 = 1.959964


def t_quantile_975(df: int) -> float:
    """Return the 97.5% quantile of Student's t with df degrees of freedom."""
    if df < 1:
        raise ValueError("a t interval needs at least two people")
    if df <= len(T_975):
        return T_975[df - 1]
    # Beyond the table a Cornish-Fisher expansion is accurate to the third decimal.
    z = Z_975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


@dataclass(frozen=True)
class MeanInterval:
    n: int
    mean: float
    low: float | None  # None with one person: no interval
    high: float | None
    sd: float | None


def mean_interval(n: int, total: float, total_sq: float) -> MeanInterval | None:
    """Return the mean and its Student-t 95% interval from n, sum and sum of squares."""
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return MeanInterval(n, mean, None, None, None)
    # Clamp tiny negative variances that rounding in the sums can produce.
    variance = max((total_sq - n * mean * mean) / (n - 1), 0.0)
    sd = math.sqrt(variance)
    half = t_quantile_975(n - 1) * sd / math.sqrt(n)
    return MeanInterval(n, mean, mean - half, mean + half, sd)

