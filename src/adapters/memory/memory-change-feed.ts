// ChangeFeed in process memory: gateways built in one process (tests, an embedded setup) that share a bus hear each other.
import type { Change, ChangeFeed, ChangeListener } from '../../ports/change-feed.js';

/** The medium the in-process feeds share; `feed()` is one node's connection to it. */
export class MemoryChangeBus {
  private readonly feeds = new Set<MemoryChangeFeed>();

  /** A node's feed on this bus. */
  feed(): MemoryChangeFeed {
    const feed = new MemoryChangeFeed(this);
    this.feeds.add(feed);
    return feed;
  }

  /** @internal Delivers `change` to every connected feed but `from`. */
  deliver(from: MemoryChangeFeed, change: Change): void {
    for (const feed of this.feeds) if (feed !== from) feed.hear(change);
  }

  /** @internal */
  leave(feed: MemoryChangeFeed): void {
    this.feeds.delete(feed);
  }
}

export class MemoryChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();
  private connected = true;
  // Changes this feed published while cut off: sent when it is back, as a node retries.
  private readonly unsent: Change[] = [];

  constructor(private readonly bus: MemoryChangeBus) {}

  async publish(change: Change): Promise<void> {
    if (this.connected) this.bus.deliver(this, change);
    else this.unsent.push(change);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  healthy(): boolean {
    return this.connected;
  }

  /** Cuts this node off the bus (as when its Redis connection drops): it neither hears nor sends. */
  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    this.notify({ kind: 'everything' });
  }

  /** Back on the bus: what it missed is unknown (everything), what it could not send goes out now. */
  reconnect(): void {
    if (this.connected) return;
    this.connected = true;
    this.notify({ kind: 'everything' });
    for (const change of this.unsent.splice(0)) this.bus.deliver(this, change);
  }

  /** @internal */
  hear(change: Change): void {
    if (this.connected) this.notify(change);
  }

  async close(): Promise<void> {
    this.bus.leave(this);
    this.listeners.clear();
  }

  private notify(notice: Parameters<ChangeListener>[0]): void {
    for (const listener of this.listeners) listener(notice);
  }
}
