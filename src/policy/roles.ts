import { compileFlatGlob, type FlatGlob } from "./flat-glob.js";
import type { Principal } from "./types.js";

/**
 * Roles: a principal is in a role when ANY listed criterion matches: its user against `users`
 * globs, any of its groups against `groups` globs, or its agent against `agents` globs.
 */
export interface RoleSpec {
  users: string[];
  groups: string[];
  agents: string[];
}

export class Role {
  private readonly users: FlatGlob[];
  private readonly groups: FlatGlob[];
  private readonly agents: FlatGlob[];

  /** Throws GlobSyntaxError for a bad glob. */
  constructor(
    readonly name: string,
    spec: RoleSpec,
  ) {
    this.users = spec.users.map((g) => compileFlatGlob(g));
    this.groups = spec.groups.map((g) => compileFlatGlob(g));
    this.agents = spec.agents.map((g) => compileFlatGlob(g));
  }

  includes(principal: Principal): boolean {
    const user = principal.user;
    if (user !== undefined && this.users.some((g) => g.test(user))) return true;
    if (this.agents.some((g) => g.test(principal.agent))) return true;
    const groups = principal.groups;
    if (groups !== undefined && groups.length > 0) {
      for (const g of this.groups) if (groups.some((name) => g.test(name))) return true;
    }
    return false;
  }
}
