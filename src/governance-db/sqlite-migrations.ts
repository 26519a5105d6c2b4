/**
 * Applies {@link MIGRATIONS} to a SQLite database. Runs inside one IMMEDIATE transaction,
 * so processes opening a fresh file at the same moment apply each migration exactly once.
 * Synchronous, so a SQLite registry is ready when its constructor returns.
 */
import type { Database } from 'better-sqlite3';
import { pendingMigrations, SCHEMA_MIGRATIONS_TABLE, statementFor } from './migrations';

/** Brings the schema up to date and returns the versions it applied (empty when current). */
export function migrateSqlite(db: Database, now: () => Date = () => new Date()): number[] {
  db.exec(SCHEMA_MIGRATIONS_TABLE);
  const apply = db.transaction((): number[] => {
    const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const ran: number[] = [];
    for (const migration of pendingMigrations(applied)) {
      for (const sql of migration.statements) db.exec(statementFor(sql, 'sqlite'));
      record.run(migration.version, migration.name, now().toISOString());
      ran.push(migration.version);
    }
    return ran;
  });
  return apply.immediate();
}
