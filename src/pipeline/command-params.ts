/**
 * Parameters of the `command` step kind: a program an admin registered (`kind: step` in
 * trainers/registry.yaml), the upstream artifacts it reads and the artifacts it writes. The spec
 * names the program and never its command or environment (docs/trust-boundary.md).
 */
import { z } from 'zod';

const artifactName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected an artifact name such as "train" or "report"');
/** `<step>.<artifact>` or `<artifact>` (the nearest upstream step that has one). */
const artifactRef = z.string().regex(/^([a-z][a-z0-9-]*\.)?[a-z][a-z0-9-]*$/, 'expected <artifact> or <step>.<artifact>, e.g. "train" or "ingest.holdout"');
const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a plain file name such as "train.parquet"');

export const commandParamsSchema = z
  .object({
    /** A program registered with `kind: step` (SLIPWAY_TRAINERS_FILE, default trainers/registry.yaml). */
    program: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a registered program name such as "derive-features"'),
    /** What the program reads: its input name → an upstream artifact. Their digests are part of the cache key. */
    inputs: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected an input name (lowercase, digits, _)'), artifactRef).default({}),
    /** What the program writes: artifact name → the file it leaves in its output folder. At least one. */
    outputs: z.record(artifactName, fileName).refine((o) => Object.keys(o).length > 0, 'declare at least one output: { <artifact>: <file> }'),
    /** Passed to the program as they are (the request file's `params`); `seed` (default 42) is the run's seed. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type CommandParams = z.infer<typeof commandParamsSchema>;
