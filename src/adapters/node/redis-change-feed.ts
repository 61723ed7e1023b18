// ChangeFeed over Redis pub/sub: one channel every node publishes its changes on, heard on a subscriber connection
// of each node's own, whose health a heartbeat through Redis proves.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { readChangeMessage, type Change, type ChangeFeed, type ChangeListener, type ChangeNotice } from '../../ports/change-feed.js';
import type { Logger, Metrics } from '../../ports/runtime.js';
import { randomBase62 } from '../../shared/encoding.js';

/** What the feed publishes through: the node's command client (a `Redis` or a `Cluster`). */
export interface ChangePublisher {
  publish(channel: string, message: string): Promise<unknown>;
}

/**
 * A fresh, not yet connected connection to subscribe on, each time the last one is lost: the same server again
 * (`Redis#duplicate`), the next node of a Redis Cluster (classic pub/sub reaches every node of a cluster), or the
 * primary a Sentinel names now.
 */
export type SubscriberConnection = () => Redis;

export interface RedisChangeFeedOptions {
  /** KEYMINT_REDIS_PREFIX: the channels are `{prefix}:changes` and `{prefix}:changes:beat:{node}`. */
  prefix: string;
  logger: Logger;
  metrics?: Pick<Metrics, 'changeNotice'>;
  /** How often the node publishes its heartbeat (ms). */
  heartbeatMs?: number;
  /** The subscription counts as down once no heartbeat of this node's own came back for this long (ms). */
  staleAfterMs?: number;
}

// A notice that could not be sent is kept for a retry, up to this many (deduplicated: notices are invalidations).
const MAX_UNSENT = 1000;
// A subscriber connection that has carried no heartbeat for this long is replaced (the next cluster node, say).
const RECYCLE_AFTER_MS = 3000;

/**
 * Health is proven, never assumed: the node publishes a heartbeat on a channel of its own through its command
 * client every `heartbeatMs`, and counts its subscription as up only while its own heartbeats come back through
 * Redis on the subscriber. A connection lost, or heartbeats late past `staleAfterMs`, is down; every change of
 * state tells the listeners `everything` (changes may have been missed), so nothing cached is kept on trust.
 */
export class RedisChangeFeed implements ChangeFeed {
  private readonly node = randomBase62(16);
  private readonly channel: string;
  private readonly beatChannel: string;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly listeners = new Set<ChangeListener>();
  private readonly unsent = new Map<string, Change>();
  private subscriber: Redis | undefined;
  private up = false;
  private lastBeatAt = 0;
  private openedAt = 0;
  private closed = false;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly publisher: ChangePublisher,
    private readonly connectSubscriber: SubscriberConnection,
    private readonly options: RedisChangeFeedOptions,
  ) {
    this.channel = `${options.prefix}:changes`;
    this.beatChannel = `${options.prefix}:changes:beat:${this.node}`;
    this.heartbeatMs = options.heartbeatMs ?? 250;
    this.staleAfterMs = options.staleAfterMs ?? 750;
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
    this.timer.unref();
    this.openSubscription();
  }

  async publish(change: Change): Promise<void> {
    const message = JSON.stringify({ origin: this.node, change });
    if (!(await this.send(message))) {
      if (this.unsent.size >= MAX_UNSENT) {
        this.options.logger.error('change notices cannot be sent and too many are waiting; dropping the oldest', {
          waiting: this.unsent.size,
        });
        this.unsent.delete(this.unsent.keys().next().value!);
      }
      this.unsent.set(message, change);
    }
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  healthy(): boolean {
    return this.up && performance.now() - this.lastBeatAt <= this.staleAfterMs;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.disconnect();
  }

  /**
   * Where a PUBLISH goes. A Cluster client sends a command without a key to any node, and two nodes relay to the
   * others over the cluster bus each at its own pace: notices published one after the other could arrive out of
   * order. So on a Cluster every notice goes through one primary (the first by address) while the topology holds.
   */
  private route(): ChangePublisher {
    if (!(this.publisher instanceof Cluster)) return this.publisher;
    const address = (node: Redis) => `${node.options.host}:${node.options.port}`;
    const [first] = this.publisher.nodes('master').sort((a, b) => (address(a) < address(b) ? -1 : address(a) > address(b) ? 1 : 0));
    return first ?? this.publisher;
  }

  private async send(message: string): Promise<boolean> {
    try {
      await this.route().publish(this.channel, message);
      this.options.metrics?.changeNotice('sent');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * One subscriber connection for as long as it lasts; when it ends, the next one (after a heartbeat's pause).
   * A connection that carries no heartbeat for RECYCLE_AFTER_MS (a server that hangs, a partition) is dropped too.
   */
  private openSubscription(): void {
    if (this.closed) return;
    const subscriber = this.connectSubscriber();
    this.subscriber = subscriber;
    this.openedAt = performance.now();
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (subscriber === this.subscriber) this.hear(channel, message);
    });
    const lost = () => {
      if (subscriber !== this.subscriber) return;
      this.subscriber = undefined;
      subscriber.disconnect();
      this.goDown('the subscriber connection closed');
      setTimeout(() => this.openSubscription(), this.heartbeatMs).unref();
    };
    subscriber.once('close', lost);
    subscriber.once('end', lost);
    subscriber
      .connect()
      .then(() => subscriber.subscribe(this.channel, this.beatChannel))
      .catch(() => subscriber.disconnect());
  }

  private hear(channel: string, message: string): void {
    if (channel === this.beatChannel) {
      if (!this.up) {
        // Heard through a subscription made after whatever was missed: drop everything once, then trust it.
        this.up = true;
        this.lastBeatAt = performance.now();
        this.options.logger.info('change feed is up: other nodes’ changes reach this node');
        this.notify({ kind: 'everything' });
      }
      this.lastBeatAt = performance.now();
      return;
    }
    if (channel !== this.channel) return;
    const read = readChangeMessage(message);
    // Our own changes were applied here when they were made.
    if (!read || read.origin === this.node) return;
    this.options.metrics?.changeNotice('heard');
    this.notify(read.change);
  }

  private tick(): void {
    if (this.up && !this.healthy()) this.goDown('no heartbeat came back in time');
    const quietFor = performance.now() - Math.max(this.lastBeatAt, this.openedAt);
    if (!this.up && this.subscriber && quietFor > RECYCLE_AFTER_MS) this.subscriber.disconnect();
    void this.route().publish(this.beatChannel, '1').catch(() => undefined);
    if (this.unsent.size > 0) void this.retry();
  }

  private async retry(): Promise<void> {
    for (const message of [...this.unsent.keys()]) {
      if (!(await this.send(message))) return;
      this.unsent.delete(message);
    }
  }

  private goDown(reason: string): void {
    if (this.up) this.options.logger.warn('change feed is down: caches live at most 1 s until it is back', { reason });
    this.up = false;
    this.notify({ kind: 'everything' });
  }

  private notify(notice: ChangeNotice): void {
    for (const listener of this.listeners) {
      try {
        listener(notice);
      } catch (error) {
        this.options.logger.error('a change listener failed', { error: String(error) });
      }
    }
  }
}

/** Subscriber connections to the same server as `client` (one Redis, or a Sentinel-managed primary). */
export function duplicateSubscribers(client: Redis): SubscriberConnection {
  return () => client.duplicate({ lazyConnect: true, retryStrategy: () => null, autoResubscribe: false });
}

/** Subscriber connections to the nodes of a Redis Cluster, the next node each time (every node hears a PUBLISH). */
export function clusterNodeSubscribers(nodes: { host: string; port: number }[], options: RedisOptions = {}): SubscriberConnection {
  let next = Math.floor(Math.random() * nodes.length);
  return () => {
    const node = nodes[next++ % nodes.length]!;
    return new Redis({ ...options, host: node.host, port: node.port, lazyConnect: true, retryStrategy: () => null, autoResubscribe: false });
  };
}
