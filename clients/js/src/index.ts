/**
 * @relate/live — resume Relate subscriptions after a reconnect, with any graphql-ws client
 * library (Apollo's GraphQLWsLink, urql's subscriptionExchange, Relay, plain graphql-ws).
 *
 * Why: graphql-ws resubscribes after a reconnect with the payload it was first given. A
 * Relate subscription resumes from the `after` cursor in its variables, so a stock client
 * either misses the events sent while it was away (no `after`) or sees them again (the
 * first `after`). This wrapper keeps, per subscription, the `cursor` of the last event it
 * delivered, and every (re)subscribe sends that as `after`: each event is delivered
 * exactly once, in order, across reconnects.
 *
 * It also stops retrying when Relate refuses the token (close code 4403): retrying the
 * same token cannot succeed, and the caller should hear about it at once.
 */
import { createClient } from "graphql-ws";
import type { Client, ClientOptions, ExecutionResult, Sink, SubscribePayload } from "graphql-ws";

/** Relate closes the socket with this code when `connection_init` carries no valid token. */
export const TOKEN_REFUSED = 4403;

export interface ResumableClientOptions extends ClientOptions {
  /** The variable Relate's subscriptions resume from. Default: `after`. */
  cursorVariable?: string;
  /**
   * The cursor of one delivered result. Default: `cursor` of the first root field
   * (`data.timelineChanged.cursor`), which every Relate subscription event has — select it.
   */
  cursorOf?: (result: ExecutionResult<unknown, unknown>) => string | null | undefined;
}

/** A graphql-ws `Client` whose subscriptions resume from their last cursor. */
export interface ResumableClient extends Client {
  /** The last cursor delivered to each active subscription, by the payload it was started with. */
  readonly cursors: ReadonlyMap<SubscribePayload, string>;
}

/** `data.<first root field>.cursor`, if it is a string. */
export function firstFieldCursor(result: ExecutionResult<unknown, unknown>): string | undefined {
  const data = result.data;
  if (data === null || typeof data !== "object") return undefined;
  const first = Object.values(data as Record<string, unknown>)[0];
  if (first === null || typeof first !== "object") return undefined;
  const cursor = (first as Record<string, unknown>).cursor;
  return typeof cursor === "string" ? cursor : undefined;
}

/** True for a close event with Relate's "token refused" code. */
export function isTokenRefused(errOrCloseEvent: unknown): boolean {
  return (
    typeof errOrCloseEvent === "object" &&
    errOrCloseEvent !== null &&
    (errOrCloseEvent as { code?: unknown }).code === TOKEN_REFUSED
  );
}

/**
 * A payload whose `variables` are read when graphql-ws sends it (JSON.stringify reads
 * getters), so a resubscribe after a reconnect carries the latest cursor.
 */
function resumingPayload(
  original: SubscribePayload,
  cursorVariable: string,
  latest: () => string | undefined,
): SubscribePayload {
  const { variables, ...rest } = original;
  return {
    ...rest,
    get variables(): Record<string, unknown> {
      const cursor = latest();
      const base = (variables ?? {}) as Record<string, unknown>;
      return cursor === undefined ? base : { ...base, [cursorVariable]: cursor };
    },
  };
}

/** Wrap a graphql-ws client made elsewhere (for options this package does not set). */
export function resumable(
  client: Client,
  options: Pick<ResumableClientOptions, "cursorVariable" | "cursorOf"> = {},
): ResumableClient {
  const cursorVariable = options.cursorVariable ?? "after";
  const cursorOf = options.cursorOf ?? firstFieldCursor;
  const cursors = new Map<SubscribePayload, string>();

  function subscribe<Data = Record<string, unknown>, Extensions = unknown>(
    payload: SubscribePayload,
    sink: Sink<ExecutionResult<Data, Extensions>>,
  ): () => void {
    const given = (payload.variables ?? {}) as Record<string, unknown>;
    const initial = given[cursorVariable];
    if (typeof initial === "string") cursors.set(payload, initial);
    const sent = resumingPayload(payload, cursorVariable, () => cursors.get(payload));
    const release = client.subscribe<Data, Extensions>(sent, {
      next(result) {
        const cursor = cursorOf(result as ExecutionResult<unknown, unknown>);
        if (cursor) cursors.set(payload, cursor);
        sink.next(result);
      },
      error(error) {
        cursors.delete(payload);
        sink.error(error);
      },
      complete() {
        cursors.delete(payload);
        sink.complete();
      },
    });
    return () => {
      cursors.delete(payload);
      release();
    };
  }

  function iterate<Data = Record<string, unknown>, Extensions = unknown>(
    payload: SubscribePayload,
  ): AsyncIterableIterator<ExecutionResult<Data, Extensions>> {
    const pending: ExecutionResult<Data, Extensions>[] = [];
    let finished = false;
    let failure: unknown = undefined;
    let wake: () => void = () => undefined;
    const release = subscribe<Data, Extensions>(payload, {
      next: (value) => { pending.push(value); wake(); },
      error: (error) => { finished = true; failure = error; wake(); },
      complete: () => { finished = true; wake(); },
    });
    const iterator: AsyncIterableIterator<ExecutionResult<Data, Extensions>> = {
      async next() {
        while (pending.length === 0 && !finished) {
          await new Promise<void>((resolve) => { wake = resolve; });
        }
        if (pending.length > 0) return { value: pending.shift()!, done: false };
        if (failure !== undefined) throw failure;
        return { value: undefined, done: true };
      },
      async return() {
        release();
        finished = true;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() { return iterator; },
    };
    return iterator;
  }

  return {
    on: client.on.bind(client),
    subscribe,
    iterate,
    terminate: client.terminate.bind(client),
    dispose: client.dispose.bind(client),
    cursors,
  } as ResumableClient;
}

/**
 * `createClient` from graphql-ws, resuming by cursor. It retries after any connection
 * problem, not only after a close event as graphql-ws does by default: a server that is
 * briefly unreachable makes the socket fail with an error event, and resuming is the
 * point. It never retries a refused token (4403). Your own `shouldRetry` still decides
 * every other case.
 */
export function createResumableClient(options: ResumableClientOptions): ResumableClient {
  const { cursorVariable, cursorOf, shouldRetry, ...clientOptions } = options;
  const client = createClient({
    ...clientOptions,
    shouldRetry: (errOrCloseEvent) =>
      !isTokenRefused(errOrCloseEvent) && (shouldRetry ? shouldRetry(errOrCloseEvent) : true),
  });
  return resumable(client, { cursorVariable, cursorOf });
}
