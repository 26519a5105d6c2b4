/**
 * Replays real flights against the model server: a time window of the flights file, with
 * the features derived as the ingest step derives them, sent as single-row predictions at
 * a steady rate; each flight's true label (delay > 15 min) follows as feedback after a
 * delay, as ground truth would in production. A library for tests and the demo, and a
 * command: `npm run replay-traffic -- --model flight-delay --from 2001-06-01 --to 2001-06-02 --rate 200`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../src/config';
import { queryRows, sqlString, withDuckDb } from '../src/data/duckdb';
import { flightsParquetPath } from '../src/data/flights-window';
import { createAgent, sendJson } from './http-json';
import type { FeatureRow } from '../src/serving/loaded-model';

/** Ground truth as the feedback route takes it: 0/1 (binary), a class name (multiclass), a value (regression). */
export type FeedbackLabel = number | string | boolean;

/** Rows as the model sees them, each with its true label (any task; tools/pipeline-traffic.ts loads them from a pipeline's source). */
export interface Traffic {
  rows: FeatureRow[];
  labels: readonly FeedbackLabel[];
}

/** Flights as the model sees them, with their true labels. */
export interface FlightTraffic extends Traffic {
  labels: (0 | 1)[];
}

/** Options of {@link replayTraffic}. */
export interface ReplayOptions {
  /** Model server base URL, e.g. `http://127.0.0.1:8090`. */
  baseUrl: string;
  model: string;
  traffic: Traffic;
  /** Requests per second. */
  rate: number;
  /**
   * Post each row's label this long after its answer; negative disables feedback.
   * @default 1000
   */
  feedbackDelayMs?: number;
  /**
   * Bearer token of a label source (labeler role with a grant on the model, or admin): the
   * server takes labels only from authenticated sources. Absent: labels are sent without one
   * and answered 401 (counted in `feedback.statuses`).
   */
  labelerToken?: string;
  /** Bearer token for predictions, when the server requires one (SLIPWAY_SERVE_PREDICT_AUTH). */
  predictToken?: string;
  /**
   * Spread requests over this many sticky callers (routing keys `caller-<i>`); 0 sends no key.
   * @default 0
   */
  callers?: number;
  /** Most requests in flight; when reached, due requests wait (and the achieved rate drops). @default 256 */
  maxInFlight?: number;
  /** Stop sending after this long even if rows remain. */
  maxDurationMs?: number;
  /** Stops sending; in-flight requests and pending feedback still finish. */
  signal?: AbortSignal;
  /** Told the round trip of every answered prediction (for callers merging several replays). */
  onAnswer?: (latencyMs: number, status: number) => void;
}

/** What a replay did, as printed by the command. */
export interface ReplayReport {
  sent: number;
  seconds: number;
  /** Requests answered per second over the sending period. */
  achievedRate: number;
  /** HTTP status → count; `error` counts network failures. */
  statuses: Record<string, number>;
  /** The first few network failures' messages (predictions', and feedback's prefixed `feedback:`), for diagnosis. */
  errors: string[];
  /** Version → requests it answered. */
  versions: Record<string, number>;
  /** Client-side round trip of the predictions, in milliseconds. */
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
  feedback: { sent: number; statuses: Record<string, number> };
}

/**
 * Flights with `from <= date < to` in time order, at most `limit`, with the ingest step's
 * features (hour, weekday, month, distance, origin, destination) and label (delay > 15).
 */
export async function loadFlightTraffic(options: { from: string; to: string; limit?: number; source?: string }): Promise<FlightTraffic> {
  const source = options.source ?? flightsParquetPath();
  const limit = options.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(options.limit))}` : '';
  const rows = await withDuckDb({}, (connection) =>
    queryRows(
      connection,
      `SELECT hour(date)::INTEGER AS hour, dayofweek(date)::INTEGER AS weekday, month(date)::INTEGER AS month,
              distance::DOUBLE AS distance, origin, destination, (delay > 15)::INTEGER AS label
       FROM read_parquet(${sqlString(source)})
       WHERE date >= ${sqlString(options.from)} AND date < ${sqlString(options.to)}
       ORDER BY date ${limit}`,
    ),
  );
  return {
    rows: rows.map(({ label: _label, ...features }) => features as FeatureRow),
    labels: rows.map((r) => (r.label === 1 ? 1 : 0)),
  };
}

/** Sends `traffic` to the server at `rate` and reports what came back. */
export async function replayTraffic(options: ReplayOptions): Promise<ReplayReport> {
  const { rows, labels } = options.traffic;
  const maxInFlight = options.maxInFlight ?? 256;
  const feedbackDelayMs = options.feedbackDelayMs ?? 1000;
  const agent = createAgent(maxInFlight);
  const predictUrl = new URL(`/v1/models/${encodeURIComponent(options.model)}/predict`, options.baseUrl);
  const feedbackUrl = new URL(`/v1/models/${encodeURIComponent(options.model)}/feedback`, options.baseUrl);
  const statuses: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const feedbackStatuses: Record<string, number> = {};
  const feedbackHeaders = options.labelerToken ? { authorization: `Bearer ${options.labelerToken}` } : undefined;
  const predictHeaders = options.predictToken ? { authorization: `Bearer ${options.predictToken}` } : undefined;
  const latencies: number[] = [];
  const errors: string[] = [];
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  let inFlight = 0;
  let sent = 0;
  let feedbackSent = 0;

  const sendOne = async (i: number) => {
    const key = options.callers ? `caller-${i % options.callers}` : undefined;
    const started = performance.now();
    try {
      const res = await sendJson(agent, predictUrl, key ? { row: rows[i], routingKey: key } : { row: rows[i] }, { headers: predictHeaders });
      const latency = performance.now() - started;
      latencies.push(latency);
      options.onAnswer?.(latency, res.status);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const body = res.body as { requestId?: string; version?: number };
      if (res.status === 200 && body.version !== undefined) versions[body.version] = (versions[body.version] ?? 0) + 1;
      if (res.status === 200 && body.requestId && feedbackDelayMs >= 0) track(sendFeedback(body.requestId, labels[i]));
    } catch (err) {
      statuses.error = (statuses.error ?? 0) + 1;
      if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
    }
  };

  const sendFeedback = async (requestId: string, label: FeedbackLabel) => {
    await new Promise((resolve) => setTimeout(resolve, feedbackDelayMs));
    feedbackSent++;
    const fb = await sendJson(agent, feedbackUrl, { requestId, label }, { headers: feedbackHeaders }).catch((err: unknown) => {
      if (errors.length < 5) errors.push(`feedback: ${err instanceof Error ? err.message : String(err)}`);
      return { status: 'error' as const };
    });
    feedbackStatuses[fb.status] = (feedbackStatuses[fb.status] ?? 0) + 1;
  };

  const started = performance.now();
  const deadline = options.maxDurationMs !== undefined ? started + options.maxDurationMs : Infinity;
  // Open loop: request i is due at start + i / rate; each tick sends whatever is due.
  while (sent < rows.length && !options.signal?.aborted && performance.now() < deadline) {
    const due = Math.min(rows.length, Math.floor(((performance.now() - started) / 1000) * options.rate) + 1);
    while (sent < due && inFlight < maxInFlight) {
      const i = sent++;
      inFlight++;
      track(
        sendOne(i).finally(() => {
          inFlight--;
        }),
      );
    }
    const nextDue = started + (sent / options.rate) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(50, nextDue - performance.now()))));
  }
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pending);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return {
    sent,
    seconds,
    achievedRate: seconds > 0 ? latencies.length / seconds : 0,
    statuses,
    errors,
    versions,
    latencyMs: latencies.length > 0 ? { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies[latencies.length - 1] } : null,
    feedback: { sent: feedbackSent, statuses: feedbackStatuses },
  };
}

/** The report as the command prints it. */
export function formatReplayReport(r: ReplayReport): string {
  const counts = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  return [
    `sent          ${r.sent} requests in ${r.seconds.toFixed(1)} s — achieved ${r.achievedRate.toFixed(1)} req/s`,
    `statuses      ${counts(r.statuses)}${r.errors.length > 0 ? ` (first errors: ${r.errors.join('; ')})` : ''}`,
    `versions      ${counts(r.versions)}`,
    `latency       ${r.latencyMs ? `p50 ${ms(r.latencyMs.p50)}  p90 ${ms(r.latencyMs.p90)}  p99 ${ms(r.latencyMs.p99)}  max ${ms(r.latencyMs.max)}` : 'no answers'}`,
    `feedback      ${r.feedback.sent} labels posted — ${counts(r.feedback.statuses)}`,
  ].join('\n');
}

const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
};

async function main(argv: string[]): Promise<void> {
  const program = new Command('replay-traffic')
    .description('Send held-out flights to the model server at a steady rate and post their true labels as feedback')
    .requiredOption('--model <name>', 'deployed model name')
    .option('--url <url>', 'model server base URL (default: SLIPWAY_SERVE_HOST and SLIPWAY_SERVE_PORT)')
    .requiredOption('--from <date>', 'first flight date (inclusive), e.g. 2001-06-01')
    .requiredOption('--to <date>', 'end of the window (exclusive), e.g. 2001-06-02')
    .option('--rate <n>', 'requests per second', positiveNumber, 100)
    .option('--limit <n>', 'most flights to send', positiveNumber)
    .option('--feedback-delay <ms>', 'post each label this many ms after its answer; -1 disables', Number, 1000)
    .option('--callers <n>', 'sticky callers (routing keys); 0 sends none', Number, 0)
    .option('--max-seconds <n>', 'stop sending after this long', positiveNumber)
    .option('--source <path>', 'flights Parquet file (default: vega-datasets flights-3m)')
    .addHelpText('after', '\nLabels are posted with SLIPWAY_SERVE_LABELER_TOKEN (a labeler token; the model server takes no unauthenticated labels).');
  const o = program.parse(argv).opts<{ model: string; url?: string; from: string; to: string; rate: number; limit?: number; feedbackDelay: number; callers: number; maxSeconds?: number; source?: string }>();
  const { serve } = loadConfig();
  const url = o.url ?? `http://${serve.host}:${serve.port}`;
  const traffic = await loadFlightTraffic({ from: o.from, to: o.to, limit: o.limit, source: o.source });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  console.log(`replaying ${traffic.rows.length} flights (${o.from} – ${o.to}) to ${url} model ${o.model} at ${o.rate} req/s`);
  const report = await replayTraffic({
    baseUrl: url,
    model: o.model,
    traffic,
    rate: o.rate,
    feedbackDelayMs: o.feedbackDelay,
    labelerToken: serve.labelerToken,
    callers: o.callers,
    maxDurationMs: o.maxSeconds !== undefined ? o.maxSeconds * 1000 : undefined,
    signal: controller.signal,
  });
  console.log(formatReplayReport(report));
}

if (require.main === module) {
  main(process.argv).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
