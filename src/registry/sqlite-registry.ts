/**
 * {@link ModelRegistry} on a SQLite file via better-sqlite3.
 *
 * Several workers may open the same file: WAL lets readers run beside a writer, and every
 * write is a `BEGIN IMMEDIATE` transaction, which takes the write lock before its first read,
 * so a read-check-write (next version number, alias compare-and-set) cannot interleave with
 * another process's. A writer that waits longer than `busyTimeoutMs` fails with SQLITE_BUSY,
 * a plain error that Temporal retries.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  AliasMove,
  ModelRegistry,
  ModelSummary,
  ModelVersion,
  RegisterVersionInput,
  SetAliasInput,
} from './model-registry';
import { registryError } from './registry-error';
import { assertRegisterVersionInput, assertSetAliasInput } from './registry-input';
import { migrateSqlite } from './sqlite-migrations';
import { MOVE_COLUMNS, toMove, toVersion, type MoveRow, type VersionRow } from './sqlite-rows';

/** Options for {@link SqliteModelRegistry}. */
export interface SqliteModelRegistryOptions {
  /** Database file, created if missing; `:memory:` for a private in-memory registry. */
  path: string;
  /**
   * How long a write waits for another connection's write lock before failing.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * Clock for `createdAt` and `at` timestamps; tests pass a fixed one.
   * @default () => new Date()
   */
  now?: () => Date;
}

export class SqliteModelRegistry implements ModelRegistry {
  private readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(options: SqliteModelRegistryOptions) {
    this.now = options.now ?? (() => new Date());
    if (options.path !== ':memory:' && !options.path.startsWith('file:')) {
      mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    }
    this.db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      // SQLite leaves foreign keys off unless asked, per connection.
      this.db.pragma('foreign_keys = ON');
      migrateSqlite(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  async registerVersion(input: RegisterVersionInput): Promise<ModelVersion> {
    assertRegisterVersionInput(input);
    const register = this.db.transaction((): VersionRow => {
      const existing = this.versionRowByKey(input.model, input.idempotencyKey);
      if (existing) return existing;
      const createdAt = this.now().toISOString();
      this.db
        .prepare('INSERT INTO models (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
        .run(input.model, createdAt);
      const latest = this.db
        .prepare('SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE model = ?')
        .pluck()
        .get(input.model) as number;
      this.db
        .prepare(
          `INSERT INTO model_versions
             (model, version, idempotency_key, artifact, metrics, params, lineage, tags, description, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
        );
      // Read back so a fresh version and a replayed one have exactly the same JSON shape.
      return this.versionRowByKey(input.model, input.idempotencyKey)!;
    });
    return toVersion(register.immediate());
  }

  async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    const row = this.db
      .prepare('SELECT * FROM model_versions WHERE model = ? AND version = ?')
      .get(model, version) as VersionRow | undefined;
    return row && toVersion(row);
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    const rows = this.db
      .prepare('SELECT * FROM model_versions WHERE model = ? ORDER BY version ASC')
      .all(model) as VersionRow[];
    return rows.map(toVersion);
  }

  async listModels(): Promise<ModelSummary[]> {
    const models = this.db
      .prepare(
        `SELECT m.name AS model, m.created_at AS createdAt, COALESCE(MAX(v.version), 0) AS latestVersion
         FROM models m LEFT JOIN model_versions v ON v.model = m.name
         GROUP BY m.name, m.created_at ORDER BY m.name`,
      )
      .all() as Omit<ModelSummary, 'aliases'>[];
    const aliases = this.db.prepare('SELECT model, alias, version FROM aliases ORDER BY alias').all() as {
      model: string;
      alias: string;
      version: number;
    }[];
    return models.map((m) => ({
      ...m,
      aliases: Object.fromEntries(aliases.filter((a) => a.model === m.model).map((a) => [a.alias, a.version])),
    }));
  }

  async getAlias(model: string, alias: string): Promise<ModelVersion | undefined> {
    const row = this.db
      .prepare(
        `SELECT v.* FROM aliases a
         JOIN model_versions v ON v.model = a.model AND v.version = a.version
         WHERE a.model = ? AND a.alias = ?`,
      )
      .get(model, alias) as VersionRow | undefined;
    return row && toVersion(row);
  }

  async setAlias(input: SetAliasInput): Promise<AliasMove> {
    assertSetAliasInput(input);
    const move = this.db.transaction((): MoveRow => {
      if (input.idempotencyKey !== undefined) {
        const earlier = this.db
          .prepare(`SELECT ${MOVE_COLUMNS} FROM alias_moves WHERE model = ? AND idempotency_key = ?`)
          .get(input.model, input.idempotencyKey) as MoveRow | undefined;
        if (earlier) return replayedMove(earlier, input);
      }
      this.assertVersionExists(input.model, input.version);
      const current =
        (this.db
          .prepare('SELECT version FROM aliases WHERE model = ? AND alias = ?')
          .pluck()
          .get(input.model, input.alias) as number | undefined) ?? null;
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
      this.db
        .prepare(
          `INSERT INTO aliases (model, alias, version, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
        )
        .run(row.model, row.alias, row.to_version, row.moved_at);
      const seq = this.db
        .prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM alias_moves WHERE model = ?')
        .pluck()
        .get(row.model) as number;
      this.db
        .prepare(
          `INSERT INTO alias_moves (seq, ${MOVE_COLUMNS})
           VALUES (@seq, @model, @alias, @from_version, @to_version, @actor, @reason, @evidence, @moved_at, @idempotency_key)`,
        )
        .run({ seq, ...row });
      return row;
    });
    return toMove(move.immediate());
  }

  async aliasHistory(model: string, alias?: string): Promise<AliasMove[]> {
    const rows = (
      alias === undefined
        ? this.db.prepare(`SELECT ${MOVE_COLUMNS} FROM alias_moves WHERE model = ? ORDER BY seq`).all(model)
        : this.db
            .prepare(`SELECT ${MOVE_COLUMNS} FROM alias_moves WHERE model = ? AND alias = ? ORDER BY seq`)
            .all(model, alias)
    ) as MoveRow[];
    return rows.map(toMove);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private versionRowByKey(model: string, idempotencyKey: string): VersionRow | undefined {
    return this.db
      .prepare('SELECT * FROM model_versions WHERE model = ? AND idempotency_key = ?')
      .get(model, idempotencyKey) as VersionRow | undefined;
  }

  private assertVersionExists(model: string, version: number): void {
    const latest = this.db
      .prepare('SELECT MAX(version) FROM model_versions WHERE model = ?')
      .pluck()
      .get(model) as number | null;
    if (latest === null) {
      throw registryError('unknown-model', `Model ${model} has no registered versions; register one first`, { model });
    }
    // Versions are dense (1..latest) and never deleted, so a range check is an existence check.
    if (version > latest) {
      throw registryError(
        'unknown-version',
        `Model ${model} has no version ${version}; its versions are 1 to ${latest}`,
        { model, version, latestVersion: latest },
      );
    }
  }
}

/** A retried move must be the same move; the same key for a different one is a caller bug. */
function replayedMove(earlier: MoveRow, input: SetAliasInput): MoveRow {
  const same =
    earlier.alias === input.alias &&
    earlier.to_version === input.version &&
    earlier.from_version === input.expectedVersion;
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
