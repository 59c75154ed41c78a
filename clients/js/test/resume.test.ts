/**
 * R-WEB-4: a subscription resumes after the connection is cut mid-stream with no event
 * lost and none repeated, with Apollo Client and with urql as the consumers; and a refused
 * token ends at once with 4403 instead of being retried.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { ApolloClient, InMemoryCache, gql, type PossibleTypesMap } from "@apollo/client/core/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { Client as UrqlClient, subscriptionExchange } from "@urql/core";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { createResumableClient, firstFieldCursor, TOKEN_REFUSED, type ResumableClient } from "../src/index.js";
import { CuttableProxy, graphql, startRelate, until, withTimeout, type Relate } from "./harness.js";

const WAIT_MS = 20_000;
const TIMELINE = `subscription Timeline($recordId: ID!, $after: String) {
  timelineChanged(recordId: $recordId, after: $after) {
    cursor
    change
    entry { __typename ... on Activity { id subject } }
  }
}`;

let relate: Relate;
let proxy: CuttableProxy;
let proxied: string;

before(async () => {
  relate = await startRelate();
  const url = new URL(relate.base);
  proxy = new CuttableProxy({ host: url.hostname, port: Number(url.port) });
  proxied = `ws://127.0.0.1:${await proxy.start()}/graphql`;
});

after(async () => {
  await proxy?.stop();
  await relate?.stop();
});

function client(token = relate.token, extra: Partial<Parameters<typeof createResumableClient>[0]> = {}): ResumableClient {
  return createResumableClient({
    url: proxied,
    webSocketImpl: WebSocket,
    connectionParams: { authToken: token }, // Apollo's documented key (R-WEB-5)
    retryAttempts: Infinity,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 20)),
    ...extra,
  });
}

/** What codegen's fragment-matcher writes, from the same introspection. */
async function possibleTypes(): Promise<PossibleTypesMap> {
  const data = await graphql(relate, "{ __schema { types { name possibleTypes { name } } } }");
  const map: PossibleTypesMap = {};
  for (const type of data.__schema.types as { name: string; possibleTypes: { name: string }[] | null }[]) {
    if (type.possibleTypes) map[type.name] = type.possibleTypes.map((t) => t.name);
  }
  return map;
}

async function newRecord(name: string): Promise<{ id: string; after: string }> {
  const created = await graphql(relate,
    "mutation($input: CreateAccountInput!) { createAccount(input: $input) { errors { code } account { id } } }",
    { input: { name } });
  const cursor = await graphql(relate, "{ liveCursor }");
  return { id: created.createAccount.account.id, after: cursor.liveCursor };
}

async function task(recordId: string, subject: string): Promise<void> {
  const done = await graphql(relate,
    "mutation($input: CreateTaskInput!) { createTask(input: $input) { errors { code message } task { id } } }",
    { input: { subject, regardingId: recordId } });
  assert.deepEqual(done.createTask.errors, []);
}

/**
 * Drive a stream across a cut: t1–t3 live, then the connection is cut and new connections
 * refused while t4–t6 are written, then t7–t8 after it is back. `seen` is what the consumer got.
 */
async function cutMidStream(recordId: string, seen: string[], connections: () => number,
                            total = 9): Promise<void> {
  for (const n of [1, 2, 3]) await task(recordId, `t${n}`);
  await until(() => seen.length >= 3, WAIT_MS, "t1–t3");
  const before = connections();
  proxy.refuse(true);
  proxy.cut();
  for (const n of [4, 5, 6]) await task(recordId, `t${n}`);
  proxy.refuse(false);
  await until(() => connections() > before, WAIT_MS, "the client to reconnect");
  for (const n of [7, 8]) await task(recordId, `t${n}`);
  await until(() => seen.length >= total - 1, WAIT_MS, "t4–t8");
  // Nothing more may arrive: write one more, and it must come next, not a repeat.
  await task(recordId, "t9");
  await until(() => seen.length >= total, WAIT_MS, "t9");
}

const EXPECTED = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];

describe("resuming after a cut connection", () => {
  test("Apollo Client over GraphQLWsLink: every event once, in order", async () => {
    const record = await newRecord("Apollo Sports");
    const ws = client();
    let connected = 0;
    ws.on("connected", () => { connected += 1; });
    const apollo = new ApolloClient({
      link: new GraphQLWsLink(ws),
      cache: new InMemoryCache({ possibleTypes: await possibleTypes() }),
    });
    const seen: string[] = [];
    const failures: unknown[] = [];
    const subscription = apollo
      .subscribe({ query: gql(TIMELINE), variables: { recordId: record.id, after: record.after } })
      .subscribe({
        next: ({ data }) => seen.push(data.timelineChanged.entry.subject),
        error: (error) => failures.push(error),
      });
    try {
      await cutMidStream(record.id, seen, () => connected);
    } finally {
      subscription.unsubscribe();
      await ws.dispose();
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(seen, EXPECTED);
    assert.ok(connected >= 2, `expected a reconnect, saw ${connected} connection(s)`);
  });

  test("urql over subscriptionExchange: every event once, in order", async () => {
    const record = await newRecord("Urql Sports");
    const ws = client();
    let connected = 0;
    ws.on("connected", () => { connected += 1; });
    const urql = new UrqlClient({
      url: relate.base + "/graphql",
      exchanges: [subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      })],
    });
    const seen: string[] = [];
    const failures: unknown[] = [];
    const { unsubscribe } = urql
      .subscription(TIMELINE, { recordId: record.id, after: record.after })
      .subscribe((result) => {
        if (result.error) failures.push(result.error);
        else seen.push(result.data.timelineChanged.entry.subject);
      });
    try {
      await cutMidStream(record.id, seen, () => connected);
    } finally {
      unsubscribe();
      await ws.dispose();
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(seen, EXPECTED);
    assert.ok(connected >= 2, `expected a reconnect, saw ${connected} connection(s)`);
  });
});

test("control: a stock graphql-ws client repeats events after the same cut", async () => {
  // Without the helper the resubscribe sends the first `after` again: t1–t3 come twice.
  // This is what the tests above would see if the helper did nothing.
  const record = await newRecord("Stock Sports");
  const ws = createClient({
    url: proxied, webSocketImpl: WebSocket, connectionParams: { authToken: relate.token },
    retryAttempts: Infinity, shouldRetry: () => true,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 20)),
  });
  let connected = 0;
  ws.on("connected", () => { connected += 1; });
  const seen: string[] = [];
  const release = ws.subscribe<any>({ query: TIMELINE, variables: { recordId: record.id, after: record.after } }, {
    next: ({ data }) => seen.push(data.timelineChanged.entry.subject),
    error: () => undefined,
    complete: () => undefined,
  });
  try {
    await cutMidStream(record.id, seen, () => connected, 12);
  } finally {
    release();
    await ws.dispose();
  }
  assert.deepEqual(seen, ["t1", "t2", "t3", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"]);
});

test("a refused token ends the subscription with 4403 and is not retried", async () => {
  const ws = client("not-a-token");
  let connecting = 0;
  ws.on("connecting", () => { connecting += 1; });
  const closed = await withTimeout(new Promise<{ code: number; reason: string }>((resolve) => {
    ws.subscribe({ query: "subscription { timelineChanged(recordId: \"x\") { cursor } }" }, {
      next: () => undefined,
      error: (error) => resolve(error as { code: number; reason: string }),
      complete: () => undefined,
    });
  }), WAIT_MS, "the refusal");
  await ws.dispose();
  assert.equal(closed.code, TOKEN_REFUSED);
  assert.match(closed.reason, /do not retry/);
  assert.equal(connecting, 1);
});

test("firstFieldCursor reads the first root field's cursor", () => {
  assert.equal(firstFieldCursor({ data: { timelineChanged: { cursor: "ev:9", change: "ADDED" } } }), "ev:9");
  assert.equal(firstFieldCursor({ data: { timelineChanged: null } }), undefined);
  assert.equal(firstFieldCursor({ errors: [] }), undefined);
});
