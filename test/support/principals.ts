/** Principals with one role each and a real token, as the governance tests set them up. */
import type { AccessControl } from '../../src/auth/access-control';
import type { Principal } from '../../src/auth/principal';
import type { Role } from '../../src/auth/roles';

/** Creates each `[key, name, role]` principal (by `by`) and puts a token of it, labelled `key`, at `tokens[key]`. */
export async function addPrincipals<K extends string>(access: AccessControl, by: Principal, tokens: Record<K, string>, list: readonly (readonly [K, string, Role])[]): Promise<void> {
  for (const [key, name, role] of list) {
    await access.setPrincipal({ name, roles: [role] }, by);
    tokens[key] = (await access.createToken({ principal: name, label: key }, by)).token;
  }
}
