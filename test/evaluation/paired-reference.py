"""Reference figures for Slipway's paired tests, computed independently of its TypeScript.

Reads JSON cases on stdin ({ scoresA, scoresB, labels }) and writes, per case:
  - each AUC from scikit-learn's roc_auc_score,
  - DeLong's variance of each AUC and their covariance from the O(m*n) Mann-Whitney kernel
    psi(x, y) = 1 if x > y, 1/2 if x == y, 0 otherwise (DeLong, DeLong & Clarke-Pearson 1988,
    eq. for V10/V01 and S10/S01) -- not the midrank shortcut the TypeScript uses,
  - the z statistic and two-sided p-value from scipy.stats.norm,
  - scipy.stats.ttest_rel on per-row log losses (the paired test for non-AUC metrics).
"""
import json
import sys

import numpy as np
from scipy import stats
from sklearn.metrics import log_loss, roc_auc_score


def kernel_components(scores, labels):
    x = scores[labels == 1][:, None]
    y = scores[labels == 0][None, :]
    psi = (x > y) + 0.5 * (x == y)
    return psi.mean(axis=1), psi.mean(axis=0)


def case(c):
    a = np.asarray(c["scoresA"], dtype=np.float64)
    b = np.asarray(c["scoresB"], dtype=np.float64)
    y = np.asarray(c["labels"], dtype=np.int64)
    m, n = int((y == 1).sum()), int((y == 0).sum())
    v10a, v01a = kernel_components(a, y)
    v10b, v01b = kernel_components(b, y)
    s10 = np.cov(np.vstack([v10a, v10b]))
    s01 = np.cov(np.vstack([v01a, v01b]))
    s = s10 / m + s01 / n
    diff = roc_auc_score(y, a) - roc_auc_score(y, b)
    se = float(np.sqrt(s[0, 0] + s[1, 1] - 2 * s[0, 1]))
    z = diff / se
    eps = 1e-15
    ll = lambda p: -(y * np.log(np.clip(p, eps, 1 - eps)) + (1 - y) * np.log(1 - np.clip(p, eps, 1 - eps)))
    t = stats.ttest_rel(ll(b), ll(a))
    return {
        "aucA": float(roc_auc_score(y, a)),
        "aucB": float(roc_auc_score(y, b)),
        "varianceA": float(s[0, 0]),
        "varianceB": float(s[1, 1]),
        "covariance": float(s[0, 1]),
        "standardError": se,
        "z": float(z),
        "pTwoSided": float(2 * stats.norm.sf(abs(z))),
        "logLossA": float(log_loss(y, np.clip(a, eps, 1 - eps), labels=[0, 1])),
        "logLossB": float(log_loss(y, np.clip(b, eps, 1 - eps), labels=[0, 1])),
        "logLossPairedT": float(t.statistic),
    }


def main():
    cases = json.load(sys.stdin)
    out = {
        "cases": [case(c) for c in cases["cases"]],
        "normal": {
            "cdf": [float(stats.norm.cdf(x)) for x in cases["normalPoints"]],
            "sf": [float(stats.norm.sf(x)) for x in cases["normalPoints"]],
            "ppf": [float(stats.norm.ppf(p)) for p in cases["quantilePoints"]],
        },
    }
    json.dump(out, sys.stdout)


main()
