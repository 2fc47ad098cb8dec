/**
 * The bound on tasks alive at the service (`--concurrency`). A slot is taken
 * before a POST and given back when the task is terminal, so the service never
 * sees more than the limit. A task this run stops waiting for (`--once`,
 * `--max-wait`) is still alive at the service, so it keeps its slot until the
 * run ends; when every slot is kept that way, nothing queued can start and the
 * bound closes itself.
 *
 * (p-limit bounds promises, but cannot express a slot kept past its
 * function, nor start a resumed task over the limit; hence this small class.)
 *
 * @module
 */

/** A counting bound with held slots and a close. */
export class InFlightBound {
  readonly #limit: number;
  #active = 0;
  #held = 0;
  #closed = false;
  #waiters: Array<(granted: boolean) => void> = [];
  #closedWaiters: Array<() => void> = [];

  /** @param limit The most slots in use at once (at least 1). */
  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Slots in use, held ones included. */
  get active(): number {
    return this.#active;
  }

  /** Whether no new slot will be granted. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Wait for a slot.
   *
   * @returns `true` with a slot taken, `false` when the bound closed first.
   */
  acquire(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#active < this.#limit && this.#waiters.length === 0) {
      this.#active++;
      return Promise.resolve(true);
    }
    const granted = new Promise<boolean>((resolve) => this.#waiters.push(resolve));
    this.#checkStall();
    return granted;
  }

  /** Take a slot even above the limit: for tasks already alive when the run starts. */
  acquireAlive(): void {
    this.#active++;
  }

  /** Give a slot back. */
  release(): void {
    this.#active--;
    this.#grant();
    this.#checkStall();
  }

  /**
   * Keep the caller's slot until the bound closes (its task is still alive
   * at the service), then give it back.
   */
  async hold(): Promise<void> {
    this.#held++;
    this.#checkStall();
    if (!this.#closed) await new Promise<void>((resolve) => this.#closedWaiters.push(resolve));
    this.#held--;
    this.#active--;
  }

  /** Grant nothing more: waiters get `false`, held slots are let go. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter(false);
    for (const resolve of this.#closedWaiters.splice(0)) resolve();
  }

  #grant(): void {
    while (!this.#closed && this.#active < this.#limit && this.#waiters.length > 0) {
      this.#active++;
      this.#waiters.shift()!(true);
    }
  }

  /** Every slot in use is held: nothing queued can ever start, so close. */
  #checkStall(): void {
    if (!this.#closed && this.#held > 0 && this.#held >= this.#active) this.close();
  }
}
