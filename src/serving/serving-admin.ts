/**
 * What the canary and promotion activities need from the model server: set a model's
 * deployment (versions and weights) and read per-version live stats. One implementation
 * speaks the server's admin HTTP API (http-serving-admin.ts); tests of one module may fake it.
 */
import type { VersionWindow } from '../canary/analysis';

export interface DeploymentWeights {
  version: number;
  weight: number;
}

export interface AppliedDeployment {
  /** False when the server already had exactly these weights (the call is idempotent). */
  changed: boolean;
  revision: number;
  versions: DeploymentWeights[];
  /** Start time of the answering server process. */
  serverStartedAt: string;
}

export interface VersionStatsWindow {
  from: string;
  to: string;
  serverStartedAt: string;
  /** Per requested version; a version the server never saw has zero requests. */
  versions: Map<number, VersionWindow>;
}

export interface ServingAdmin {
  /** Base URL, for messages. */
  readonly baseUrl: string;
  /**
   * @param reason why, recorded with the change in the audit log (the server records the actor).
   * @param shadow a version listed with weight 0 that scores mirrored traffic; absent: no shadow (clears one).
   */
  setDeployment(model: string, versions: DeploymentWeights[], reason?: string, shadow?: number): Promise<AppliedDeployment>;
  /** The current deployment, or undefined when the model is not deployed. */
  getDeployment(model: string): Promise<{ revision: number; versions: DeploymentWeights[] } | undefined>;
  /** Stats of `versions` from `sinceMs` (epoch ms) until now. */
  stats(model: string, versions: number[], sinceMs: number): Promise<VersionStatsWindow>;
}
