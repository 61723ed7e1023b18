// RateLimiter on Durable Objects: one object per failure counter, so each counter's check-and-take and
// release-and-count is one step of a single-threaded object — exact, from every location (SPEC §10).
import { admitEach, type Admission, type AttemptPlace, type FailureCounter, type RateLimiter } from '../../ports/rate-limiter.js';
import {
  countFailure,
  emptyCounter,
  givePlaceBack,
  isIdle,
  settle,
  takePlace,
  waitOf,
  type CounterState,
} from '../../ports/failure-window.js';
import { DurableObjectClient, type DurableStateLike } from './durable-object.js';

/** What the limiter asks a counter's object; `now` is the caller's clock (ms). */
type CounterOperation =
  | { op: 'retryAfter'; now: number; limit: number }
  | { op: 'record'; now: number; windowMs: number }
  | { op: 'admit'; now: number; limit: number; id: string; leaseMs: number }
  | { op: 'release'; now: number; id: string; failed: boolean; windowMs: number };

const STATE_KEY = 'counter';

/**
 * The Durable Object class (wrangler.toml: FAILURE_COUNTERS → FailureCounterObject): one failure counter —
 * its window and the places of attempts under way. The state is held in memory and written through to the
 * object's storage, so an evicted object comes back with its counter; an alarm deletes it once idle.
 */
export class FailureCounterObject {
  private state: CounterState = emptyCounter();

  constructor(
    private readonly ctx: DurableStateLike,
    _env: unknown,
  ) {
    void ctx.blockConcurrencyWhile(async () => {
      this.state = settle((await ctx.storage.get<CounterState>(STATE_KEY)) ?? emptyCounter(), Date.now());
    });
  }

  async fetch(request: Request): Promise<Response> {
    const operation = (await request.json()) as CounterOperation;
    // No await between reading and changing the state: one request's step never interleaves with another's.
    const state = this.state;
    let answer: unknown = null;
    switch (operation.op) {
      case 'retryAfter':
        return Response.json(waitOf(state, operation.now, operation.limit));
      case 'record':
        countFailure(state, operation.now, operation.windowMs);
        break;
      case 'admit':
        answer = takePlace(state, operation.now, operation.limit, operation.id, operation.leaseMs);
        if (answer !== 'admitted') return Response.json(answer);
        break;
      case 'release':
        givePlaceBack(state, operation.now, operation.id, operation.failed, operation.windowMs);
        break;
      default:
        return new Response('unknown operation', { status: 400 });
    }
    // Output gates hold the answer until this write is durable. Nothing left to keep (a right secret given
    // back, no window open): nothing stays stored, and no alarm is needed.
    if (isIdle(state, operation.now)) {
      await this.ctx.storage.deleteAll();
      return Response.json(answer);
    }
    await this.ctx.storage.put(STATE_KEY, state);
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Math.max(state.resetAt, ...Object.values(state.places)));
    }
    return Response.json(answer);
  }

  /** Deletes an idle counter's storage, or looks again when what it keeps runs out. */
  async alarm(): Promise<void> {
    const now = Date.now();
    if (isIdle(this.state, now)) {
      this.state = emptyCounter();
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.ctx.storage.setAlarm(Math.max(now + 1000, this.state.resetAt, ...Object.values(this.state.places)));
  }
}

/**
 * The RateLimiter over FailureCounterObject: a counter's object is named by the counter's key (idFromName),
 * so it is created near the first location that counts on it, and no two counters queue behind each other.
 */
export class DurableObjectRateLimiter extends DurableObjectClient implements RateLimiter {
  private call<Answer>(key: string, operation: CounterOperation): Promise<Answer> {
    return this.callObject<Answer>(key, operation);
  }

  async retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    const now = this.clock.now();
    const waits = await Promise.all(counters.map(({ key, limit }) => this.call<number>(key, { op: 'retryAfter', now, limit })));
    return Math.max(0, ...waits);
  }

  async recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    const now = this.clock.now();
    await Promise.all(keys.map((key) => this.call(key, { op: 'record', now, windowMs: windowSeconds * 1000 })));
  }

  admit(counters: readonly FailureCounter[], options: { windowSeconds: number; leaseSeconds: number }): Promise<Admission> {
    return admitEach(
      counters,
      ({ key, limit }, id) =>
        this.call<number | 'admitted'>(key, { op: 'admit', now: this.clock.now(), limit, id, leaseMs: options.leaseSeconds * 1000 }),
      async (key, id) => {
        await this.call(key, { op: 'release', now: this.clock.now(), id, failed: false, windowMs: 0 });
      },
      options.windowSeconds,
    );
  }

  async release(place: AttemptPlace, failed: boolean): Promise<void> {
    const now = this.clock.now();
    const windowMs = place.windowSeconds * 1000;
    await Promise.all(place.keys.map((key) => this.call(key, { op: 'release', now, id: place.id, failed, windowMs })));
  }
}
