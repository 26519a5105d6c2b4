/**
 * Always-valid inference for a difference between canary and champion that is looked at again
 * after every analysis interval. A fixed-sample test repeated at each look rejects a true null
 * far more often than α; the normal-mixture sequential probability ratio test (mSPRT, Robbins
 * 1970; Johari, Pekelis & Walsh, "Always valid inference", 2017) does not: with
 *
 *   Λ = √(V / (V + τ²)) · exp(τ² (θ̂ − θ₀)² / (2 V (V + τ²)))
 *
 * for an estimate θ̂ with variance V and a N(θ₀, τ²) mixture over the alternative, P(Λ ever
 * ≥ 1/α | θ = θ₀) ≤ α, at any number of looks and any stopping rule. The values of θ₀ that are
 * not rejected form a confidence sequence θ̂ ± w with
 *
 *   w = √(2 V (V + τ²) / τ² · (ln(1/α) + ½ ln((V + τ²) / V))).
 *
 * Pure (the workflow bundle imports it): the canary's history holds every input and output.
 */

/** One always-valid interval, as shown in the canary status and report. */
export interface SequentialEvidence {
  /** θ̂: canary minus champion. */
  estimate: number;
  /** √V. */
  standardError: number;
  /** The confidence sequence at this look: θ̂ ∓ w. */
  lower: number;
  upper: number;
  /** The mixture's spread τ: the size of difference the test is most sensitive to. */
  tau: number;
  alpha: number;
  /** The boundary θ₀ of "harm" (e.g. −maxAucDrop) and Λ against it. */
  boundary: number;
  likelihoodRatio: number;
  /** min(1, 1/Λ): below α exactly when the boundary lies outside the interval. */
  alwaysValidP: number;
  /** Samples behind the estimate: canary and champion. */
  samples: { canary: number; champion: number };
}

/**
 * The confidence sequence of a difference with estimate `estimate` and variance `variance` at
 * level `alpha`, and the mSPRT statistic against `boundary`. A zero variance (no spread
 * observed) gives a zero-width interval; callers keep V > 0 with pseudo-counts.
 */
export function confidenceSequence(estimate: number, variance: number, tau: number, alpha: number, boundary: number, samples: SequentialEvidence['samples']): SequentialEvidence {
  const v = Math.max(variance, 0);
  const t2 = tau * tau;
  const width = v > 0 ? Math.sqrt(((2 * v * (v + t2)) / t2) * (Math.log(1 / alpha) + 0.5 * Math.log((v + t2) / v))) : 0;
  const d = estimate - boundary;
  const logLambda = v > 0 ? 0.5 * Math.log(v / (v + t2)) + (t2 * d * d) / (2 * v * (v + t2)) : d === 0 ? 0 : Infinity;
  const likelihoodRatio = Math.exp(logLambda);
  return {
    estimate,
    standardError: Math.sqrt(v),
    lower: estimate - width,
    upper: estimate + width,
    tau,
    alpha,
    boundary,
    likelihoodRatio,
    alwaysValidP: Math.min(1, 1 / likelihoodRatio),
    samples,
  };
}

/**
 * Where the evidence puts a difference against its margin (`e.boundary`): `harm` when the whole
 * interval lies beyond it (the check fails), `beyond` when only the estimate does (a decisive step
 * holds: sequential-hold.ts), `within` otherwise. `harmAbove`: larger differences are worse (error
 * rate, log loss, MAE); otherwise smaller ones are (AUC, accuracy).
 */
export function sideOfMargin(e: SequentialEvidence, harmAbove: boolean): 'harm' | 'beyond' | 'within' {
  const worse = (x: number) => (harmAbove ? x > e.boundary : x < e.boundary);
  return worse(harmAbove ? e.lower : e.upper) ? 'harm' : worse(e.estimate) ? 'beyond' : 'within';
}
