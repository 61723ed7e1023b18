// Result: expected outcomes are data with a tagged reason; faults are thrown.
export type Ok<T> = { ok: true; value: T };
export type Fail<R extends string> = { ok: false; reason: R; detail?: string };
export type Result<T, R extends string> = Ok<T> | Fail<R>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function fail<R extends string>(reason: R, detail?: string): Fail<R> {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/** Makes a `switch` over a closed union fail the build when a member is left unmapped. */
export function assertNever(value: never): never {
  throw new TypeError(`unmapped case: ${String(value)}`);
}
