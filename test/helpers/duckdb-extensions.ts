/** Installs the pinned httpfs extension when missing (scripts/duckdb-extensions.sh; `make setup` does it too). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function installHttpfs(): string {
  const script = join(__dirname, '..', '..', 'scripts', 'duckdb-extensions.sh');
  return execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
}
