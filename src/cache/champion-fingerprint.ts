/**
 * The cache input of steps whose verdict depends on the model's current champion (evaluate
 * compares with it; validation compares with its reference data): the champion's version and
 * model digest. A new champion means a new key, so a cached verdict against an old champion is
 * never reused.
 */
import type { StepRequest } from '../pipeline/types';
import type { ModelRegistry } from '../registry/model-registry';

export function createChampionFingerprint(registry: Pick<ModelRegistry, 'getAlias'>, alias = 'champion') {
  return async function championFingerprint(req: StepRequest): Promise<unknown> {
    const champion = await registry.getAlias(req.ctx.model, alias);
    return {
      model: req.ctx.model,
      [alias]: champion ? { version: champion.version, sha256: champion.artifact.sha256 } : null,
    };
  };
}
