/** Who is acting, and on what: the inputs of `authorize`. */
import type { Role } from './roles';

/** Permission to move aliases of a model; `*` matches any model or alias. */
export interface AliasGrant {
  model: string;
  alias: string;
}

/** An authenticated caller, as `authenticate` returns it for a valid token. */
export interface Principal {
  /** Unique name, e.g. `alice` or `ci-bot`; recorded as the actor in the audit log. */
  name: string;
  roles: readonly Role[];
  /** Alias-move grants, loaded with the principal. */
  grants: readonly AliasGrant[];
  /** The token the request presented, when authenticated by token. */
  tokenId?: string;
}

/** What an action is done to; only the fields that apply. */
export interface Resource {
  model?: string;
  alias?: string;
}
