import { InvalidOptionError } from "./errors.ts";

/** Longest pattern an ACL may hold. */
const MAX_PATTERN = 256;
/** Most unbounded quantifiers (`*`, `+`, `{n,}`, `{n,m}` with m > 16) in one pattern. */
const MAX_UNBOUNDED = 2;

interface Group {
  quantified: boolean;
  alternation: boolean;
}

/**
 * Refuses, with a typed error, a regular expression that can backtrack
 * for long: JavaScript's engine backtracks, and an ACL pattern runs on
 * every write of every tab. Allowed: at most {@link MAX_UNBOUNDED}
 * unbounded quantifiers, no quantified group that itself holds a
 * quantifier or an alternation (`(a+)+`, `(a|a)*`), no backreference and
 * no lookaround. Matching then costs at most about n² steps on a
 * localpart (n ≤ 1023), whatever the input.
 */
export function checkBoundedPattern(pattern: string, what: string): void {
  const refuse = (why: string): never => {
    throw new InvalidOptionError(`${what}: pattern ${JSON.stringify(pattern)} could backtrack without bound (${why}).`);
  };
  if (pattern.length > MAX_PATTERN) refuse(`longer than ${MAX_PATTERN} characters`);
  const stack: Group[] = [{ quantified: false, alternation: false }];
  let last: Group | "atom" | null = null; // what a quantifier here would apply to
  let unbounded = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const top = stack[stack.length - 1]!;
    if (c === "\\") {
      const n = pattern[++i] ?? "";
      if (/[1-9]/.test(n) || n === "k") refuse("backreference");
      last = "atom";
    } else if (c === "[") {
      for (i++; i < pattern.length && pattern[i] !== "]"; i++) if (pattern[i] === "\\") i++;
      last = "atom";
    } else if (c === "(") {
      if (/^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) refuse("lookaround");
      stack.push({ quantified: false, alternation: false });
      last = null;
    } else if (c === ")") {
      const g = stack.length > 1 ? stack.pop()! : top;
      const parent = stack[stack.length - 1]!;
      parent.quantified ||= g.quantified;
      last = g;
    } else if (c === "|") {
      top.alternation = true;
      last = null;
    } else if (c === "*" || c === "+" || c === "?" || c === "{") {
      let big = c !== "?";
      if (c === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!m) {
          last = "atom"; // a literal brace
          continue;
        }
        i += m[0].length - 1;
        big = m[2] !== undefined && (m[3] === "" || Number(m[3]) > 16);
      }
      if (pattern[i + 1] === "?") i++; // lazy
      if (typeof last === "object" && last !== null && (last.quantified || last.alternation)) refuse("nested quantifier");
      if (big && ++unbounded > MAX_UNBOUNDED) refuse(`more than ${MAX_UNBOUNDED} unbounded quantifiers`);
      top.quantified = true;
      last = null;
    } else last = "atom";
  }
}
