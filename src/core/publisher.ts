// Publishes the model's snapshots to views at most maxPerSecond times a second, and only
// when something changed; pausing freezes what views see while the model keeps counting.
import type { Model, ModelSnapshot } from './model.ts';

export const MAX_SNAPSHOTS_PER_SECOND = 30;

export class SnapshotPublisher {
  private latest: ModelSnapshot;
  private changed = false;
  private lastPublishedMs = -Infinity;
  private frozen = false;
  private readonly listeners = new Set<(snapshot: ModelSnapshot) => void>();

  constructor(
    private readonly model: Model,
    nowMs: number,
    private readonly maxPerSecond = MAX_SNAPSHOTS_PER_SECOND,
  ) {
    this.latest = model.snapshot(nowMs);
  }

  /** The model changed (events arrived, a sample was taken). */
  markChanged(): void {
    this.changed = true;
  }

  /** Publishes when something changed and the last publication is old enough; true if it did. */
  publishIfDue(nowMs: number): boolean {
    if (this.frozen || !this.changed || nowMs - this.lastPublishedMs < 1000 / this.maxPerSecond) return false;
    this.publish(nowMs);
    return true;
  }

  /** What views show: the latest snapshot, or the one frozen by pause(). */
  current(): ModelSnapshot {
    return this.latest;
  }

  subscribe(listener: (snapshot: ModelSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get paused(): boolean {
    return this.frozen;
  }

  pause(): void {
    this.frozen = true;
  }

  /** Unpausing shows the present, not where the view was frozen. */
  resume(nowMs: number): void {
    this.frozen = false;
    this.publish(nowMs);
  }

  private publish(nowMs: number): void {
    this.latest = this.model.snapshot(nowMs);
    this.changed = false;
    this.lastPublishedMs = nowMs;
    for (const listener of this.listeners) listener(this.latest);
  }
}
