/**
 * Applies {@link MIGRATIONS} to a SQLite database. Runs inside one IMMEDIATE transaction,
 * so processes opening a fresh file at the same moment apply each migration exactly once.
 */
import type { Database } from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE } from './migrations';
import { registryError } from './registry-error';

/** Brings the schema up to date and returns the versions it applied (empty when current). */
export function migrateSqlite(db: Database, now: () => Date = () => new Date()): number[] {
  db.exec(SCHEMA_MIGRATIONS_TABLE);
  const apply = db.transaction((): number[] => {
    const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    const latestKnown = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > latestKnown) {
      // Older code must not write to a schema it does not understand.
      throw registryError(
        'schema-too-new',
        `Registry database is at schema version ${newest} but this Slipway knows only up to ${latestKnown}; upgrade Slipway`,
        { databaseVersion: newest, knownVersion: latestKnown },
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const ran: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const sql of migration.statements) db.exec(sql);
      record.run(migration.version, migration.name, now().toISOString());
      ran.push(migration.version);
    }
    return ran;
  });
  return apply.immediate();
}
