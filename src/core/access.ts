import { checkBoundedPattern } from "./bounded-regexp.ts";
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

/**
 * Matches `*` and `?` wildcards without a regular expression: one pass
 * that falls back only to the last `*`, so at most len(glob) × len(text) steps.
 */
function globMatches(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === "?" || glob[g] === text[t])) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === "*") {
      star = g++;
      mark = t;
    } else if (star !== -1) {
      g = star + 1;
      t = ++mark;
    } else return false;
  }
  while (glob[g] === "*") g++;
  return g === glob.length;
}

function specMatches(spec: AclSpec, local: string, domain: string): boolean {
  if (spec.user !== undefined && spec.user.toLowerCase() !== local) return false;
  if (spec.server !== undefined && spec.server.toLowerCase() !== domain) return false;
  if (spec.user_regexp !== undefined && !new RegExp(spec.user_regexp).test(local)) return false;
  if (spec.server_regexp !== undefined && !new RegExp(spec.server_regexp).test(domain)) return false;
  if (spec.user_glob !== undefined && !globMatches(spec.user_glob, local)) return false;
  return true;
}

const SPEC_FIELDS = ["user", "server", "user_regexp", "server_regexp", "user_glob"] as const;

/** Every field a string, every pattern compiles; unknown fields refused. */
function checkSpec(spec: unknown, acl: string): void {
  if (typeof spec !== "object" || spec === null) throw new InvalidOptionError(`ACL ${acl}: each entry must be an object.`);
  for (const [k, v] of Object.entries(spec)) {
    if (!(SPEC_FIELDS as readonly string[]).includes(k)) throw new InvalidOptionError(`ACL ${acl}: unknown field ${k}.`);
    if (typeof v !== "string") throw new InvalidOptionError(`ACL ${acl}: ${k} must be a string.`);
    if (k.endsWith("_regexp")) {
      try {
        new RegExp(v);
      } catch {
        throw new InvalidOptionError(`ACL ${acl}: ${k} is not a valid pattern.`);
      }
      checkBoundedPattern(v, `ACL ${acl}: ${k}`);
    }
  }
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
      for (const e of entries) {
        if (typeof e !== "object" || e === null || typeof e.acl !== "string") {
          throw new InvalidOptionError(`Access rule ${name}: each entry needs an acl name.`);
        }
        checkValue(e.value, name);
      }
    }
    for (const [name, specs] of Object.entries(acl)) {
      if (!Array.isArray(specs)) throw new InvalidOptionError(`ACL ${name} must be a list.`);
      for (const spec of specs) checkSpec(spec, name); // a bad pattern fails here, not on a write
    }
  }

  /** Whether the named ACL matches a bare JID. */
  matches(aclName: string, bare: string): boolean {
    if (aclName === "all") return true;
    if (aclName === "none") return false;
    const at = bare.indexOf("@");
    const local = at === -1 ? "" : bare.slice(0, at);
    const domain = bare.slice(at + 1);
    const specs = Object.hasOwn(this.acl, aclName) ? this.acl[aclName]! : [];
    return specs.some((s) => specMatches(s, local, domain));
  }

  /** Whether a rule of this name is defined. */
  has(ruleName: string): boolean {
    return Object.hasOwn(this.rules, ruleName);
  }

  /** The limit for a bare JID under the named rule; `Infinity` when nothing matches. */
  limit(ruleName: string, bare: string): number {
    const key = `${ruleName}\u0000${bare}`;
    let v = this.cache.get(key);
    if (v === undefined) {
      const entries = Object.hasOwn(this.rules, ruleName) ? this.rules[ruleName]! : [];
      const hit = entries.find((r) => this.matches(r.acl, bare));
      v = !hit || hit.value === "infinity" ? Infinity : hit.value;
      if (this.cache.size >= 10_000) this.cache.clear(); // bound memory on many users
      this.cache.set(key, v);
    }
    return v;
  }
}
