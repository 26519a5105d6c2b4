/**
 * Which share of a model's requests is logged (pure). `SLIPWAY_SERVE_LOG_SAMPLE` is a default rate
 * and per-model overrides: `0.05` or `0.05,delays=1,churn=0`. While a canary runs (more than one
 * version with traffic) every request is logged, unless the model's rate is 0: a canary is judged
 * on exactly the traffic it served, and an operator who turned a model's logging off meant it.
 */
import { z } from 'zod';

export interface SampleRates {
  /** Rate for a model not listed. */
  readonly defaultRate: number;
  /** Per-model rates. */
  readonly perModel: ReadonlyMap<string, number>;
}

const rate = z.coerce.number().min(0).max(1);

/**
 * Parses `0.05,delays=1`.
 * @throws Error naming the entry and what is wrong (a rate outside [0, 1], an empty model name).
 */
export function parseSampleRates(value: string): SampleRates {
  let defaultRate = 0.05;
  const perModel = new Map<string, number>();
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? undefined : part.slice(0, eq).trim();
    const parsed = rate.safeParse(eq < 0 ? part : part.slice(eq + 1).trim());
    if (!parsed.success || (eq >= 0 && part.slice(eq + 1).trim() === '')) {
      throw new Error(`SLIPWAY_SERVE_LOG_SAMPLE: "${part}" is not a rate between 0 and 1 (write 0.05 or model=0.05)`);
    }
    if (name === undefined) defaultRate = parsed.data;
    else if (name === '') throw new Error(`SLIPWAY_SERVE_LOG_SAMPLE: "${part}" names no model (write model=0.05)`);
    else perModel.set(name, parsed.data);
  }
  return { defaultRate, perModel };
}

/** The rate a request of `model` is logged at. */
export function sampleRate(rates: SampleRates, model: string, canaryRunning: boolean): number {
  const r = rates.perModel.get(model) ?? rates.defaultRate;
  return canaryRunning && r > 0 ? 1 : r;
}
