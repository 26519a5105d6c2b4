/**
 * Live traffic of one simulated week: an even sample of the week's real flights sent to the
 * model server (which serves the champion, since promotion points it there), each flight's
 * true label posted as feedback, then the champion's live AUC read back from the server's
 * stats. The continuous-training check that follows judges the same labels.
 */
import type { ServingAdmin } from '../../src/serving/serving-admin';
import { loadFlightTraffic, replayTraffic } from '../replay-traffic';
import type { LiveQualityPolicy } from '../../src/workflows/continuous-training-status';
import type { WeekLive } from '../../src/console/simulation-report';

/** Options of the simulation's live mode. */
export interface LiveOptions {
  /** The model server the worker promotes to. */
  admin: ServingAdmin;
  /** A label source's token (labeler role): the server takes no unauthenticated labels. */
  labelerToken: string;
  /** Flights sent per week, spread evenly over the week. @default 3000 */
  flightsPerWeek?: number;
  /** Requests per second. @default 500 */
  rate?: number;
  /** The live-quality trigger of every check; its window is set to cover exactly the week's traffic. */
  policy: Omit<LiveQualityPolicy, 'windowSeconds'>;
}

/** Gap before a week's traffic, so a stats window starting at it holds no earlier week's predictions. */
const SEPARATION_MS = 1500;

/** @param source the flights file the simulation feeds (a scenario's copy); default: the shipped one. */
export async function replayWeek(o: LiveOptions, model: string, champion: number, from: string, to: string, source?: string): Promise<WeekLive> {
  const all = await loadFlightTraffic({ from, to, source });
  const stride = Math.max(1, Math.floor(all.rows.length / (o.flightsPerWeek ?? 3000)));
  const pick = <T>(xs: T[]) => xs.filter((_, i) => i % stride === 0);
  const traffic = { rows: pick(all.rows), labels: pick(all.labels) };
  await new Promise((resolve) => setTimeout(resolve, SEPARATION_MS));
  const startedAtMs = Date.now();
  const report = await replayTraffic({ baseUrl: o.admin.baseUrl, model, traffic, rate: o.rate ?? 500, feedbackDelayMs: 20, labelerToken: o.labelerToken });
  const stats = (await o.admin.stats(model, [champion], startedAtMs)).versions.get(champion);
  return {
    sent: report.sent,
    answered: report.statuses['200'] ?? 0,
    statuses: report.statuses,
    servedBy: report.versions,
    labelled: report.feedback.statuses['200'] ?? 0,
    seconds: report.seconds,
    labels: stats?.labels ?? 0,
    auc: stats?.auc ?? null,
    accuracy: stats?.accuracy ?? null,
    startedAtMs,
  };
}
