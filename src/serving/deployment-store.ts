/**
 * Where the model server keeps its deployments (which versions of which model get what
 * share of traffic), so a restarted server comes back serving the same split.
 */
import { z } from 'zod';
import type { WeightedVersion } from './routing';

/** One model's deployment as persisted and as the admin API returns it (without load state). */
export interface DeploymentRecord {
  model: string;
  /** Versions in routing order (champion first) with relative weights. */
  versions: WeightedVersion[];
  /** 1 for the first deployment of the model, +1 for every change of versions or weights. */
  revision: number;
  /** ISO 8601 time of the last change. */
  updatedAt: string;
  /**
   * Secret salt of the routing hash, made at the model's first deployment and kept across its
   * revisions (so callers stay put as weights change). Never returned by the admin API.
   */
  routingSalt?: string;
  /**
   * A version of `versions` with weight 0 that scores a mirror of the requests routed to the
   * others, off the response path (shadow mode, shadow-mirror.ts). Absent: no shadow.
   */
  shadow?: number;
}

/** Persists all deployments of a server as one unit. Implementations: `FileDeploymentStore`. */
export interface DeploymentStore {
  /** Every persisted deployment; empty before the first save. */
  load(): Promise<DeploymentRecord[]>;
  /** Replaces the persisted state atomically: after a crash, either the old or the new state is read back. */
  save(records: DeploymentRecord[]): Promise<void>;
}

export const weightedVersionSchema = z.object({
  version: z.number().int().positive(),
  weight: z.number().min(0).max(1_000_000),
});

export const deploymentRecordSchema = z.object({
  model: z.string().min(1),
  versions: z.array(weightedVersionSchema).min(1),
  revision: z.number().int().positive(),
  updatedAt: z.string(),
  routingSalt: z.string().regex(/^[0-9a-f]{32}$/).optional(),
  shadow: z.number().int().positive().optional(),
});
