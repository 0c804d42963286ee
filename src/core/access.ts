import { InvalidOptionError } from "./errors.ts";

/**
 * One ACL pattern, the shape of MongooseIM's `acl` section: every field
 * given must match. `user_glob` takes `*` and `?` on the localpart.
 */
export interface AclSpec {
  user?: string;
  server?: string;
  user_regexp?: string;
  server_regexp?: string;
  user_glob?: string;
}

/** Named ACLs. `all` (everyone) and `none` (no one) are built in. */
export type AclTable = Record<string, AclSpec[]>;

/** A limit value: a whole number of messages, or `infinity`. */
export type LimitValue = number | "infinity";

/** One access rule entry; the first whose ACL matches gives the value. */
export interface AccessRule {
  acl: string;
  value: LimitValue;
}

export type AccessRules = Record<string, AccessRule[]>;

/** MongooseIM's default for `max_user_offline_messages`. */
export const DEFAULT_ACCESS: AccessRules = {
  max_user_offline_messages: [
    { acl: "admin", value: 5000 },
    { acl: "all", value: 100 },
  ],
};

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

function specMatches(spec: AclSpec, local: string, domain: string): boolean {
  if (spec.user !== undefined && spec.user.toLowerCase() !== local) return false;
  if (spec.server !== undefined && spec.server.toLowerCase() !== domain) return false;
  if (spec.user_regexp !== undefined && !new RegExp(spec.user_regexp).test(local)) return false;
  if (spec.server_regexp !== undefined && !new RegExp(spec.server_regexp).test(domain)) return false;
  if (spec.user_glob !== undefined && !globToRegExp(spec.user_glob).test(local)) return false;
  return true;
}

function checkValue(value: LimitValue, rule: string): void {
  if (value === "infinity") return;
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError(`Access rule ${rule}: value must be a whole number >= 0 or "infinity".`);
  }
}

/**
 * Resolves per-user limits from access rules, as mod_offline reads
 * `max_user_offline_messages`: first matching entry wins, no match means
 * infinity. Results are cached per bare JID since the check runs on every write.
 */
export class AccessPolicy {
  private readonly cache = new Map<string, number>();

  constructor(
    private readonly acl: AclTable = {},
    private readonly rules: AccessRules = DEFAULT_ACCESS,
  ) {
    for (const [name, entries] of Object.entries(rules)) {
      if (!Array.isArray(entries)) throw new InvalidOptionError(`Access rule ${name} must be a list.`);
      for (const e of entries) checkValue(e.value, name);
    }
    for (const [name, specs] of Object.entries(acl)) {
      if (!Array.isArray(specs)) throw new InvalidOptionError(`ACL ${name} must be a list.`);
      // Compile once here so that a bad pattern fails at configuration time.
      for (const s of specs) specMatches(s, "", "");
    }
  }

  /** Whether the named ACL matches a bare JID. */
  matches(aclName: string, bare: string): boolean {
    if (aclName === "all") return true;
    if (aclName === "none") return false;
    const at = bare.indexOf("@");
    const local = at === -1 ? "" : bare.slice(0, at);
    const domain = bare.slice(at + 1);
    return (this.acl[aclName] ?? []).some((s) => specMatches(s, local, domain));
  }

  /** The limit for a bare JID under the named rule; `Infinity` when nothing matches. */
  limit(ruleName: string, bare: string): number {
    const key = `${ruleName}\u0000${bare}`;
    let v = this.cache.get(key);
    if (v === undefined) {
      const hit = (this.rules[ruleName] ?? []).find((r) => this.matches(r.acl, bare));
      v = !hit || hit.value === "infinity" ? Infinity : hit.value;
      if (this.cache.size >= 10_000) this.cache.clear(); // bound memory on many users
      this.cache.set(key, v);
    }
    return v;
  }
}
