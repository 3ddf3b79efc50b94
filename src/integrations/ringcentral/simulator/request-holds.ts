// Fault: requests to a path are held until several have arrived, then answered together, so that
// clients racing each other (two processes refreshing one session, acting at the same moment)
// are raced for certain rather than by luck.

interface Hold {
  /** Requests whose path ends with this are held. */
  path: string;
  count: number;
  release: (() => void)[];
}

export class RequestHolds {
  private holds: Hold[] = [];

  /** The next `count` requests to `path` wait for each other. */
  add(path: string, count: number): void {
    this.holds.push({ path, count, release: [] });
  }

  /** Resolves when a request to `path` may go on: at once, or when its hold is complete. */
  async pass(path: string): Promise<void> {
    const hold = this.holds.find((h) => path.endsWith(h.path));
    if (!hold) return;
    await new Promise<void>((resolve) => {
      hold.release.push(resolve);
      if (hold.release.length >= hold.count) this.open(hold);
    });
  }

  pending(): { path: string; count: number; waiting: number }[] {
    return this.holds.map((h) => ({ path: h.path, count: h.count, waiting: h.release.length }));
  }

  /** Lets every held request go on, and forgets the holds. */
  clear(): void {
    for (const hold of [...this.holds]) this.open(hold);
  }

  private open(hold: Hold): void {
    this.holds = this.holds.filter((h) => h !== hold);
    for (const release of hold.release) release();
  }
}
