import { InvalidOptionError } from "./errors.ts";

/**
 * The one option checker every constructor uses: each returns the value
 * (or its default when undefined) and throws {@link InvalidOptionError}
 * naming the option when it is out of range.
 */
export const option = {
  /** A whole number > 0. */
  positiveInteger(name: string, value: number | undefined, fallback: number): number {
    const v = value ?? fallback;
    if (!(Number.isInteger(v) && v > 0)) throw new InvalidOptionError(`${name} must be a positive whole number.`);
    return v;
  },
  /** A whole number in [min, max]. */
  integerIn(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
    const v = value ?? fallback;
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw new InvalidOptionError(`${name} must be a whole number in ${min}..${max}.`);
    return v;
  },
  /** A finite number of milliseconds >= `min` (default 0). */
  duration(name: string, value: number | undefined, fallback: number, min = 0): number {
    const v = value ?? fallback;
    if (!(Number.isFinite(v) && v >= min)) throw new InvalidOptionError(`${name} must be a finite number >= ${min}.`);
    return v;
  },
  /** A finite number in [min, max]. */
  numberIn(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
    const v = value ?? fallback;
    if (!(Number.isFinite(v) && v >= min && v <= max)) throw new InvalidOptionError(`${name} must be a number from ${min} to ${max}.`);
    return v;
  },
  /** One of the listed values. */
  oneOf<T extends string>(name: string, value: T | undefined, fallback: T, allowed: readonly T[]): T {
    const v = value ?? fallback;
    if (!allowed.includes(v)) throw new InvalidOptionError(`${name} must be one of ${allowed.join(", ")}; got ${JSON.stringify(v)}.`);
    return v;
  },
};

/** The one plain-object guard: a non-null object that is not an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
