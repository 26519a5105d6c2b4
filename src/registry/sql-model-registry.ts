/**
 * {@link ModelRegistry} over a {@link SqlDatabase}: the same statements and the same checks on
 * SQLite and PostgreSQL.
 *
 * Every write is one transaction that first locks the model's row (`SELECT ... FOR UPDATE` on
 * PostgreSQL; SQLite's IMMEDIATE transaction already holds the database write lock), then
 * reads, checks and writes, so the next version number, the alias compare-and-set and the
 * history's sequence number are decided on the latest committed state. Each write appends its
 * audit entry in the same transaction; locks are always taken model row first, then the audit
 * head, so writers cannot deadlock.
 */
import { appendAuditEntry } from '../audit/sql-audit-log';
import type {
  AliasMove,
  AnnotateVersionInput,
  ModelRegistry,
  ModelSummary,
  ModelVersion,
  RegisterVersionInput,
  SetAliasInput,
} from './model-registry';
import { registryError } from './registry-error';
import { assertAnnotateVersionInput, assertRegisterVersionInput, assertSetAliasInput } from './registry-input';
import type { SqlDatabase, SqlExecutor } from '../governance-db/sql-database';
import { MOVE_COLUMNS, toMove, toVersion, type MoveRow, type VersionRow } from './sql-rows';

/** Options for {@link SqlModelRegistry}. */
export interface SqlModelRegistryOptions {
  /**
   * Clock for `createdAt`, `at` and audit timestamps; tests pass a fixed one.
   * @default () => new Date()
   */
  now?: () => Date;
}

export class SqlModelRegistry implements ModelRegistry {
  protected readonly now: () => Date;

  constructor(
    /** The database; shared with access control and the audit log. */
    readonly db: SqlDatabase,
    options: SqlModelRegistryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async registerVersion(input: RegisterVersionInput): Promise<ModelVersion> {
    assertRegisterVersionInput(input);
    const row = await this.db.transaction(async (tx): Promise<VersionRow> => {
      const createdAt = this.now().toISOString();
      await tx.run('INSERT INTO models (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [input.model, createdAt]);
      await lockModel(tx, input.model);
      const existing = await versionRowByKey(tx, input.model, input.idempotencyKey);
      if (existing) return existing;
      const latest = (await tx.get<{ latest: number }>('SELECT COALESCE(MAX(version), 0) AS latest FROM model_versions WHERE model = ?', [input.model]))!
        .latest;
      await tx.run(
        `INSERT INTO model_versions
           (model, version, idempotency_key, artifact, metrics, params, lineage, tags, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          input.model,
          latest + 1,
          input.idempotencyKey,
          JSON.stringify(input.artifact),
          JSON.stringify(input.metrics),
          JSON.stringify(input.params),
          JSON.stringify(input.lineage),
          JSON.stringify(input.tags ?? {}),
          input.description ?? null,
          createdAt,
        ],
      );
      const workflow = `workflow:${input.lineage.workflowId}`;
      await appendAuditEntry(
        tx,
        {
          actor: input.actor ?? workflow,
          action: 'version.register',
          target: `model:${input.model}/v${latest + 1}`,
          reason: `registered by pipeline ${input.lineage.pipeline}`,
          origin: input.origin ?? workflow,
          details: { model: input.model, version: latest + 1, artifact: input.artifact.uri, idempotencyKey: input.idempotencyKey },
        },
        createdAt,
      );
      // Read back so a fresh version and a replayed one have exactly the same JSON shape.
      return (await versionRowByKey(tx, input.model, input.idempotencyKey))!;
    });
    return toVersion(row);
  }

  async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    const row = await this.db.get<VersionRow>('SELECT * FROM model_versions WHERE model = ? AND version = ?', [model, version]);
    return row && toVersion(row);
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    const rows = await this.db.all<VersionRow>('SELECT * FROM model_versions WHERE model = ? ORDER BY version ASC', [model]);
    return rows.map(toVersion);
  }

  async listModels(): Promise<ModelSummary[]> {
    const models = await this.db.all<{ model: string; created_at: string; latest: number }>(
      `SELECT m.name AS model, m.created_at, COALESCE(MAX(v.version), 0) AS latest
       FROM models m LEFT JOIN model_versions v ON v.model = m.name
       GROUP BY m.name, m.created_at ORDER BY m.name`,
    );
    const aliases = await this.db.all<{ model: string; alias: string; version: number }>(
      'SELECT model, alias, version FROM aliases ORDER BY alias',
    );
    return models.map((m) => ({
      model: m.model,
      createdAt: m.created_at,
      latestVersion: m.latest,
      aliases: Object.fromEntries(aliases.filter((a) => a.model === m.model).map((a) => [a.alias, a.version])),
    }));
  }

  async getAlias(model: string, alias: string): Promise<ModelVersion | undefined> {
    const row = await this.db.get<VersionRow>(
      `SELECT v.* FROM aliases a
       JOIN model_versions v ON v.model = a.model AND v.version = a.version
       WHERE a.model = ? AND a.alias = ?`,
      [model, alias],
    );
    return row && toVersion(row);
  }

  async setAlias(input: SetAliasInput): Promise<AliasMove> {
    assertSetAliasInput(input);
    const move = await this.db.transaction(async (tx): Promise<MoveRow> => {
      await lockModel(tx, input.model);
      if (input.idempotencyKey !== undefined) {
        const earlier = await tx.get<MoveRow>(`SELECT ${MOVE_COLUMNS} FROM alias_moves WHERE model = ? AND idempotency_key = ?`, [
          input.model,
          input.idempotencyKey,
        ]);
        if (earlier) return replayedMove(earlier, input);
      }
      await assertVersionExists(tx, input.model, input.version);
      const current =
        (await tx.get<{ version: number }>('SELECT version FROM aliases WHERE model = ? AND alias = ?', [input.model, input.alias]))
          ?.version ?? null;
      if (current !== input.expectedVersion) {
        throw registryError(
          'stale-alias',
          `Alias ${input.model}@${input.alias} points to ${showVersion(current)}, ` +
            `not ${showVersion(input.expectedVersion)} as expected: it was moved by someone else. ` +
            'Re-read the alias and decide again.',
          { model: input.model, alias: input.alias, expectedVersion: input.expectedVersion, actualVersion: current },
        );
      }
      const row: MoveRow = {
        model: input.model,
        alias: input.alias,
        from_version: current,
        to_version: input.version,
        actor: input.actor,
        reason: input.reason,
        evidence: JSON.stringify(input.evidence ?? {}),
        moved_at: this.now().toISOString(),
        idempotency_key: input.idempotencyKey ?? null,
      };
      await tx.run(
        `INSERT INTO aliases (model, alias, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
        [row.model, row.alias, row.to_version, row.moved_at],
      );
      const { seq } = (await tx.get<{ seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM alias_moves WHERE model = ?', [row.model]))!;
      await tx.run(`INSERT INTO alias_moves (seq, ${MOVE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        seq,
        row.model,
        row.alias,
        row.from_version,
        row.to_version,
        row.actor,
        row.reason,
        row.evidence,
        row.moved_at,
        row.idempotency_key,
      ]);
      await appendAuditEntry(
        tx,
        {
          actor: input.actor,
          action: input.auditAction ?? 'alias.move',
          target: `model:${row.model}@${row.alias}`,
          reason: row.reason,
          origin: input.origin,
          details: {
            model: row.model,
            alias: row.alias,
            fromVersion: row.from_version,
            toVersion: row.to_version,
            evidence: input.evidence ?? {},
            idempotencyKey: row.idempotency_key,
          },
        },
        row.moved_at,
      );
      return row;
    });
    return toMove(move);
  }

  async aliasHistory(model: string, alias?: string): Promise<AliasMove[]> {
    const rows =
      alias === undefined
        ? await this.db.all<MoveRow>(`SELECT ${MOVE_COLUMNS} FROM alias_moves WHERE model = ? ORDER BY seq`, [model])
        : await this.db.all<MoveRow>(`SELECT ${MOVE_COLUMNS} FROM alias_moves WHERE model = ? AND alias = ? ORDER BY seq`, [model, alias]);
    return rows.map(toMove);
  }

  async annotateVersion(input: AnnotateVersionInput): Promise<ModelVersion> {
    assertAnnotateVersionInput(input);
    const row = await this.db.transaction(async (tx): Promise<VersionRow> => {
      await lockModel(tx, input.model);
      await assertVersionExists(tx, input.model, input.version);
      const before = (await tx.get<VersionRow>('SELECT * FROM model_versions WHERE model = ? AND version = ?', [input.model, input.version]))!;
      const tags: Record<string, string> = { ...(JSON.parse(before.tags) as Record<string, string>), ...input.setTags };
      for (const name of input.removeTags ?? []) delete tags[name];
      const description = input.description === undefined ? before.description : input.description;
      const at = this.now().toISOString();
      await tx.run('UPDATE model_versions SET tags = ?, description = ? WHERE model = ? AND version = ?', [
        JSON.stringify(tags),
        description,
        input.model,
        input.version,
      ]);
      await appendAuditEntry(
        tx,
        {
          actor: input.actor,
          action: 'version.annotate',
          target: `model:${input.model}/v${input.version}`,
          reason: input.reason ?? '',
          origin: input.origin,
          details: {
            model: input.model,
            version: input.version,
            setTags: input.setTags ?? {},
            removeTags: input.removeTags ?? [],
            ...(input.description === undefined ? {} : { description: input.description }),
          },
        },
        at,
      );
      return (await tx.get<VersionRow>('SELECT * FROM model_versions WHERE model = ? AND version = ?', [input.model, input.version]))!;
    });
    return toVersion(row);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** Serialises writers of one model (no-op on SQLite, whose transaction holds the write lock). */
async function lockModel(tx: SqlExecutor, model: string): Promise<void> {
  await tx.get(`SELECT name FROM models WHERE name = ?${tx.forUpdate}`, [model]);
}

function versionRowByKey(tx: SqlExecutor, model: string, idempotencyKey: string): Promise<VersionRow | undefined> {
  return tx.get<VersionRow>('SELECT * FROM model_versions WHERE model = ? AND idempotency_key = ?', [model, idempotencyKey]);
}

async function assertVersionExists(tx: SqlExecutor, model: string, version: number): Promise<void> {
  const latest = (await tx.get<{ latest: number | null }>('SELECT MAX(version) AS latest FROM model_versions WHERE model = ?', [model]))?.latest ?? null;
  if (latest === null) {
    throw registryError('unknown-model', `Model ${model} has no registered versions; register one first`, { model });
  }
  // Versions are dense (1..latest) and never deleted, so a range check is an existence check.
  if (version > latest) {
    throw registryError('unknown-version', `Model ${model} has no version ${version}; its versions are 1 to ${latest}`, {
      model,
      version,
      latestVersion: latest,
    });
  }
}

/** A retried move must be the same move; the same key for a different one is a caller bug. */
function replayedMove(earlier: MoveRow, input: SetAliasInput): MoveRow {
  const same = earlier.alias === input.alias && earlier.to_version === input.version && earlier.from_version === input.expectedVersion;
  if (!same) {
    throw registryError(
      'idempotency-conflict',
      `Idempotency key ${input.idempotencyKey} of model ${input.model} already recorded moving ${earlier.alias} ` +
        `from ${showVersion(earlier.from_version)} to ${earlier.to_version}; it cannot also move ${input.alias} ` +
        `from ${showVersion(input.expectedVersion)} to ${input.version}. Use a new key for a new move.`,
      { model: input.model, idempotencyKey: input.idempotencyKey },
    );
  }
  return earlier;
}

const showVersion = (version: number | null): string => (version === null ? 'nothing' : `version ${version}`);
