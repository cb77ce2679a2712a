/**
 * A running activity's cancel mark (its instance was canceled, a lease
 * renewal said so). The AbortSignal behind it is made only when the activity
 * reads its signal: an AbortController per step cost more than most
 * activities, and most never read it.
 */
export class CancelMark {
  #controller: AbortController | undefined;
  #canceled: { reason: unknown } | undefined;

  cancel(reason: unknown): void {
    if (this.#canceled) return;
    this.#canceled = { reason };
    this.#controller?.abort(reason);
  }

  /** Fires on cancel(); aborted already when read after it. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#canceled) this.#controller.abort(this.#canceled.reason);
    }
    return this.#controller.signal;
  }
}
