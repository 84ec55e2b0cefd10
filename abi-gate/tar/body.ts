import type { EntryBody } from './types.js';

/** How the handler asked for the body; 'none' until it asks (the parser waits meanwhile). */
export type BodyMode = 'none' | 'each' | 'iterate' | 'skip';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A handler may start forEach without awaiting it; an abort must not become an unhandled
  // rejection then. Whoever awaits the promise still sees the error.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * One entry's body as the parser feeds it: pieces of the inflated chunks (never copied), handed
 * over synchronously to forEach callbacks, or one per `next()` to an async iterator. The parser
 * holds the stream while no consumer is attached, so nothing is buffered.
 */
export class TarBody implements EntryBody {
  mode: BodyMode = 'none';
  ended = false;
  /** forEach's callback while mode is 'each'. */
  onChunk: ((chunk: Buffer) => void) | null = null;
  private done: Deferred<void> | null = null;
  private pending: Deferred<IteratorResult<Buffer>> | null = null;
  private failure: unknown = null;

  constructor(private readonly wake: () => void) {}

  /** The iterator has asked for a chunk and not got it yet. */
  get wantsChunk(): boolean {
    return this.pending !== null;
  }

  forEach(onChunk: (chunk: Buffer) => void): Promise<void> {
    return this.attach('each', onChunk);
  }

  skip(): Promise<void> {
    return this.attach('skip', null);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.attach('iterate', null);
    return {
      next: () => {
        if (this.failure !== null) return Promise.reject(this.failure);
        if (this.ended) return Promise.resolve({ done: true, value: undefined });
        this.pending = deferred();
        const promise = this.pending.promise;
        this.wake();
        return promise;
      },
      return: () => {
        this.mode = 'skip';
        this.wake();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /** Hands one piece to the waiting iterator. */
  deliver(chunk: Buffer): void {
    const pending = this.pending;
    this.pending = null;
    pending?.resolve({ done: false, value: chunk });
  }

  end(): void {
    this.ended = true;
    this.onChunk = null;
    this.done?.resolve();
    const pending = this.pending;
    this.pending = null;
    pending?.resolve({ done: true, value: undefined });
  }

  /** The read broke off (or failed elsewhere): whoever waits on this body gets the error. */
  abort(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    this.onChunk = null;
    this.done?.reject(error);
    this.pending?.reject(error);
    this.pending = null;
  }

  private attach(mode: Exclude<BodyMode, 'none'>, onChunk: ((chunk: Buffer) => void) | null): Promise<void> {
    if (this.mode !== 'none') {
      return Promise.reject(new Error('the body of a tar entry can be consumed only once'));
    }
    this.mode = mode;
    this.onChunk = onChunk;
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve();
    this.done = deferred();
    this.wake();
    return this.done.promise;
  }
}
