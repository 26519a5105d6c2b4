/** {@link BatchQuarantine} over the registry's {@link SqlDatabase} (SQLite or PostgreSQL). */
import { appendAuditEntry } from '../audit/sql-audit-log';
import type { BatchQuarantine, BatchRun, PurgeRecord, QuarantinedBatch, QuarantineDecision, QuarantineInput, QuarantineState } from './quarantine';
import { registryError } from './registry-error';
import type { SqlDatabase, SqlExecutor } from '../governance-db/sql-database';

interface Row {
  model: string;
  data_digest: string;
  state: QuarantineState;
  workflow_id: string;
  run_id: string;
  snapshots: string;
  report: string;
  report_html: string;
  failed: string;
  findings: string;
  quarantined_at: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_reason: string | null;
}

const toBatch = (r: Row): QuarantinedBatch => ({
  model: r.model,
  dataDigest: r.data_digest,
  state: r.state,
  workflowId: r.workflow_id,
  runId: r.run_id,
  snapshots: JSON.parse(r.snapshots),
  report: r.report,
  reportHtml: r.report_html,
  failed: JSON.parse(r.failed),
  findings: JSON.parse(r.findings),
  quarantinedAt: r.quarantined_at,
  decision: r.decided_at ? { at: r.decided_at, by: r.decided_by ?? '', reason: r.decision_reason ?? '' } : null,
});

const MAX_REASON = 2000;

export class SqlQuarantine implements BatchQuarantine {
  private readonly now: () => Date;

  constructor(
    private readonly db: SqlDatabase,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async quarantine(input: QuarantineInput): Promise<QuarantinedBatch> {
    return this.db.transaction(async (tx) => {
      const at = this.now().toISOString();
      const existing = await rowOf(tx, input.model, input.dataDigest, true);
      const values = [input.workflowId, input.runId, JSON.stringify(input.snapshots), input.report, input.reportHtml, JSON.stringify(input.failed), JSON.stringify(input.findings)];
      if (existing && existing.state !== 'quarantined') return toBatch(existing);
      if (existing) {
        await tx.run(
          'UPDATE quarantined_batches SET workflow_id = ?, run_id = ?, snapshots = ?, report = ?, report_html = ?, failed = ?, findings = ? WHERE model = ? AND data_digest = ?',
          [...values, input.model, input.dataDigest],
        );
      } else {
        await tx.run(
          `INSERT INTO quarantined_batches (workflow_id, run_id, snapshots, report, report_html, failed, findings, model, data_digest, state, quarantined_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'quarantined', ?)`,
          [...values, input.model, input.dataDigest, at],
        );
        await appendAuditEntry(
          tx,
          { actor: `workflow:${input.workflowId}`, action: 'data.quarantine', target: target(input.model, input.dataDigest), reason: `validation failed: ${input.failed.slice(0, 5).join(', ')}`, origin: `workflow:${input.workflowId}`, details: { report: input.report, runId: input.runId } },
          at,
        );
      }
      return toBatch((await rowOf(tx, input.model, input.dataDigest))!);
    });
  }

  async get(model: string, dataDigest: string): Promise<QuarantinedBatch | undefined> {
    const row = await rowOf(this.db, model, dataDigest);
    return row ? toBatch(row) : undefined;
  }

  async list(filter: { model?: string; state?: QuarantineState } = {}): Promise<QuarantinedBatch[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.model) where.push('model = ?') && params.push(filter.model);
    if (filter.state) where.push('state = ?') && params.push(filter.state);
    const rows = await this.db.all<Row>(`SELECT * FROM quarantined_batches ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY quarantined_at DESC, data_digest`, params);
    return rows.map(toBatch);
  }

  async decide(input: QuarantineDecision): Promise<QuarantinedBatch> {
    const reason = input.reason.trim();
    if (reason === '' || reason.length > MAX_REASON) {
      throw registryError('invalid-input', `reason: give why the batch is ${input.decision === 'release' ? 'released' : 'discarded'} (1 to ${MAX_REASON} characters)`, { field: 'reason' });
    }
    return this.db.transaction(async (tx) => {
      const row = await rowOf(tx, input.model, input.dataDigest, true);
      if (!row) throw registryError('unknown-batch', `no quarantined batch ${input.dataDigest} of model "${input.model}"`, { model: input.model, dataDigest: input.dataDigest });
      if (row.state !== 'quarantined') {
        throw registryError('batch-decided', `batch ${input.dataDigest} of model "${input.model}" was already ${row.state} by ${row.decided_by} at ${row.decided_at}`, { state: row.state });
      }
      const at = this.now().toISOString();
      const state: QuarantineState = input.decision === 'release' ? 'released' : 'discarded';
      await tx.run('UPDATE quarantined_batches SET state = ?, decided_at = ?, decided_by = ?, decision_reason = ? WHERE model = ? AND data_digest = ?', [state, at, input.actor, reason, input.model, input.dataDigest]);
      await appendAuditEntry(
        tx,
        { actor: input.actor, action: `data.${input.decision}`, target: target(input.model, input.dataDigest), reason, origin: input.origin ?? 'unspecified', details: { failed: JSON.parse(row.failed), report: row.report, workflowId: row.workflow_id } },
        at,
      );
      return toBatch((await rowOf(tx, input.model, input.dataDigest))!);
    });
  }

  async refused(run: { model: string; dataDigest: string; workflowId: string; runId: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await rowOf(tx, run.model, run.dataDigest, true);
      if (!row) throw registryError('unknown-batch', `no quarantined batch ${run.dataDigest} of model "${run.model}"`, { model: run.model, dataDigest: run.dataDigest });
      const actor = `workflow:${run.workflowId}`;
      const earlier = await tx.all<{ details: string }>(`SELECT details FROM audit_log WHERE target = ? AND action = 'data.refuse' AND actor = ?`, [target(run.model, run.dataDigest), actor]);
      // A retried validate activity refuses the same run again: audited once.
      if (earlier.some((e) => (JSON.parse(e.details) as { runId?: string }).runId === run.runId)) return;
      await appendAuditEntry(
        tx,
        { actor, action: 'data.refuse', target: target(run.model, run.dataDigest), reason: `validation refused a ${row.state} batch`, origin: actor, details: { runId: run.runId } },
        this.now().toISOString(),
      );
    });
  }

  async unpurged(): Promise<QuarantinedBatch[]> {
    const rows = await this.db.all<Row>(
      `SELECT * FROM quarantined_batches q WHERE q.state = 'discarded' AND NOT EXISTS (
         SELECT 1 FROM audit_log a WHERE a.target = ${TARGET_SQL} AND a.action = 'data.purge')
       ORDER BY q.decided_at, q.model, q.data_digest`,
    );
    return rows.map(toBatch);
  }

  async runsOf(model: string, dataDigest: string): Promise<BatchRun[]> {
    const row = await rowOf(this.db, model, dataDigest);
    if (!row) return [];
    const audited = await this.db.all<{ actor: string; details: string }>(
      `SELECT actor, details FROM audit_log WHERE target = ? AND action IN ('data.quarantine', 'data.refuse') ORDER BY seq`,
      [target(model, dataDigest)],
    );
    const runs: BatchRun[] = [{ workflowId: row.workflow_id, runId: row.run_id }];
    for (const entry of audited) {
      if (!entry.actor.startsWith('workflow:')) continue;
      const runId = (JSON.parse(entry.details) as { runId?: unknown }).runId;
      runs.push({ workflowId: entry.actor.slice('workflow:'.length), runId: typeof runId === 'string' ? runId : undefined });
    }
    return runs;
  }

  async holdersOf(sha256: string, except: { model: string; dataDigest: string }): Promise<string[]> {
    // Hex digits are never LIKE wildcards; anything else is refused rather than matched loosely.
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw registryError('invalid-input', `sha256: expected 64 lowercase hex digits, got ${JSON.stringify(sha256)}`, { field: 'sha256' });
    const like = `%${sha256}%`;
    const batches = await this.db.all<{ model: string; data_digest: string; state: string }>(
      `SELECT model, data_digest, state FROM quarantined_batches
       WHERE state <> 'discarded' AND NOT (model = ? AND data_digest = ?) AND (snapshots LIKE ? OR report LIKE ? OR report_html LIKE ?)
       ORDER BY model, data_digest`,
      [except.model, except.dataDigest, like, like, like],
    );
    const versions = await this.db.all<{ model: string; version: number }>(
      `SELECT model, version FROM model_versions
       WHERE artifact LIKE ? OR lineage LIKE ? OR metrics LIKE ? OR params LIKE ? OR tags LIKE ? OR description LIKE ?
       ORDER BY model, version`,
      [like, like, like, like, like, like],
    );
    return [
      ...batches.map((b) => `${b.state} batch ${b.data_digest} of model "${b.model}"`),
      ...versions.map((v) => `model version ${v.model} v${v.version}`),
    ];
  }

  async purgedDigests(model: string, dataDigest: string): Promise<string[]> {
    const entries = await this.db.all<{ details: string }>(`SELECT details FROM audit_log WHERE target = ? AND action = 'data.purge' ORDER BY seq`, [target(model, dataDigest)]);
    const digests = new Set<string>();
    for (const entry of entries) {
      const details = JSON.parse(entry.details) as { deleted?: { sha256: string }[]; gone?: string[] };
      for (const d of details.deleted ?? []) digests.add(d.sha256);
      for (const d of details.gone ?? []) digests.add(d);
    }
    return [...digests];
  }

  async recordPurge(record: PurgeRecord): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // The row lock serialises two purges of one batch on PostgreSQL (SQLite's write lock already does).
      const row = await rowOf(tx, record.model, record.dataDigest, true);
      if (!row) throw registryError('unknown-batch', `no quarantined batch ${record.dataDigest} of model "${record.model}"`, { model: record.model, dataDigest: record.dataDigest });
      if (row.state !== 'discarded') throw registryError('invalid-input', `batch ${record.dataDigest} of model "${record.model}" is ${row.state}, not discarded: its bytes are not purged`, { field: 'state' });
      const done = await tx.get(`SELECT 1 AS one FROM audit_log WHERE target = ? AND action = 'data.purge'`, [target(record.model, record.dataDigest)]);
      if (done && !record.again) return false;
      const bytes = record.deleted.reduce((sum, d) => sum + d.bytes, 0);
      const reason = `${record.again ? 'discarded batch stored again after its purge' : 'discarded batch'}: ${record.deleted.length} artifact(s) deleted (${bytes} bytes), ${record.gone.length} already gone, ${record.kept.length} kept because referenced`;
      await appendAuditEntry(
        tx,
        { actor: record.actor, action: 'data.purge', target: target(record.model, record.dataDigest), reason, origin: record.origin, details: { deleted: record.deleted, gone: record.gone, kept: record.kept, bytes, report: row.report } },
        this.now().toISOString(),
      );
      return true;
    });
  }
}

/** The audit target of a quarantine row `q`, in SQL (`||` concatenates on SQLite and PostgreSQL). */
const TARGET_SQL = `('model:' || q.model || '/batch:' || q.data_digest)`;

const target = (model: string, digest: string) => `model:${model}/batch:${digest}`;

function rowOf(tx: SqlExecutor, model: string, digest: string, lock = false): Promise<Row | undefined> {
  return tx.get<Row>(`SELECT * FROM quarantined_batches WHERE model = ? AND data_digest = ?${lock ? tx.forUpdate : ''}`, [model, digest]);
}
