/** What the console reads and acts through; the API's composition root passes the same backends it uses. */
import type { AuditLog } from '../audit/audit-log';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { ServingAdmin } from '../serving/serving-admin';
import type { SlipwayClient } from '../client/slipway-client';
import type { ModelRegistry } from '../registry/model-registry';
import type { BatchQuarantine } from '../registry/quarantine';
import type { TrainerRegistry } from '../training/trainer-registry';

export interface ConsoleDeps {
  slipway: SlipwayClient;
  registry: ModelRegistry;
  audit: AuditLog;
  /** Reads reports for rendering; without it, report-backed sections say so. */
  artifacts?: ArtifactStore;
  /** Quarantined data batches (the registry's database); without it, the Data page says so. */
  quarantine?: BatchQuarantine;
  /** The model server's admin API (SLIPWAY_SERVE_URL); without it, the Serving page says so. */
  serving?: ServingAdmin;
  /** Where `npm run simulate` writes its reports (`<SLIPWAY_DATA_DIR>/reports`); the Continuous training page charts the newest. */
  simulationReportsDir?: string;
  /** Task queue of the worker, where canary and continuous-training workflows run. */
  taskQueue: string;
  pipelinesDir: string;
  /** Registered command trainers, data roots and inline-command principals: runs started here are resolved under the same spec policy as the API's. */
  trainers?: TrainerRegistry;
  dataRoots?: readonly string[];
  inlineCommandPrincipals?: readonly string[];
}
