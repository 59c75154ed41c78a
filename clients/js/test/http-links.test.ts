/**
 * R-WEB-3 with Apollo's own links against a real Relate: PersistedQueryLink (hash miss →
 * register → hash hit, over POST and over GET) and BatchHttpLink (three operations, one
 * request). The fetch they use records what went over the wire.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { BatchHttpLink } from "@apollo/client/link/batch-http/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";

import { startRelate, type Relate } from "./harness.js";

let relate: Relate;

before(async () => { relate = await startRelate(); });
after(async () => { await relate?.stop(); });

interface Sent { method: string; url: string; body: unknown; status: number; answer: any }

function recordingFetch(sent: Sent[]): typeof fetch {
  return async (input, init) => {
    const url = String(input);
    const answer = await fetch(input, init);
    const copy = answer.clone();
    sent.push({
      method: init?.method ?? "GET", url, status: answer.status,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
      answer: await copy.json(),
    });
    return answer;
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function apollo(link: any): ApolloClient<unknown> {
  return new ApolloClient({ link, cache: new InMemoryCache(), defaultOptions: { query: { fetchPolicy: "no-cache" } } });
}

for (const useGETForHashedQueries of [false, true]) {
  test(`PersistedQueryLink${useGETForHashedQueries ? " with GET" : ""}: miss, register, hit`, async () => {
    const sent: Sent[] = [];
    const http = new HttpLink({
      uri: relate.base + "/graphql", fetch: recordingFetch(sent),
      headers: { Authorization: `Bearer ${relate.token}` },
    });
    const client = apollo(createPersistedQueryLink({ sha256, useGETForHashedQueries }).concat(http));
    const query = gql(`query Who${useGETForHashedQueries ? "Get" : "Post"} { viewer { user { fullName } } }`);

    const first = await client.query({ query });
    const second = await client.query({ query });
    assert.equal(first.data.viewer.user.fullName, "Sam Seller");
    assert.deepEqual(second.data, first.data);

    const [miss, register, hit] = sent;
    assert.equal(sent.length, 3);
    assert.equal(miss.method, useGETForHashedQueries ? "GET" : "POST");
    assert.equal(miss.answer.errors[0].extensions.code, "PERSISTED_QUERY_NOT_FOUND");
    assert.equal(miss.answer.errors[0].message, "PersistedQueryNotFound");
    const registerQuery = register.method === "GET" ? new URL(register.url).searchParams.get("query")
      : (register.body as { query?: string }).query;
    assert.ok(registerQuery?.includes("fullName"), "the retry sends the query with its hash");
    assert.equal(hit.method, useGETForHashedQueries ? "GET" : "POST");
    if (hit.method === "GET") assert.equal(new URL(hit.url).searchParams.get("query"), null);
    else assert.equal((hit.body as { query?: string }).query, undefined);
    assert.equal(hit.status, 200);
    assert.equal(hit.answer.data.viewer.user.fullName, "Sam Seller");
  });
}

test("BatchHttpLink: three operations in one request, answered in order", async () => {
  const sent: Sent[] = [];
  const client = apollo(new BatchHttpLink({
    uri: relate.base + "/graphql", fetch: recordingFetch(sent), batchMax: 3, batchInterval: 20,
    headers: { Authorization: `Bearer ${relate.token}` },
  }));
  const [who, roles, cursor] = await Promise.all([
    client.query({ query: gql("query Who { viewer { user { fullName } } }") }),
    client.query({ query: gql("query Roles { viewer { roles } }") }),
    client.query({ query: gql("query Cursor { liveCursor }") }),
  ]);
  assert.equal(sent.length, 1);
  assert.equal((sent[0].body as unknown[]).length, 3);
  assert.equal(who.data.viewer.user.fullName, "Sam Seller");
  assert.deepEqual(roles.data.viewer.roles.length > 0, true);
  assert.equal(typeof cursor.data.liveCursor, "string");
});

test("Apollo's cache drops interface fragments on the timeline without possibleTypes", async () => {
  // Why docs/clients.md insists on possibleTypes: the same query, with and without it.
  const headers = { Authorization: `Bearer ${relate.token}` };
  const post = (query: string, variables: Record<string, unknown>) => fetch(relate.base + "/graphql", {
    method: "POST", headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ query, variables }),
  }).then((answer) => answer.json() as Promise<any>);
  const account = (await post("mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } } }",
    { input: { name: "Fragment Sports" } })).data.createAccount.account.id;
  await post("mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id } } }",
    { input: { subject: "Send the brochure", regardingId: account } });
  const types = (await post("{ __schema { types { name possibleTypes { name } } } }", {})).data.__schema.types;
  const possibleTypes: Record<string, string[]> = {};
  for (const type of types) if (type.possibleTypes) possibleTypes[type.name] = type.possibleTypes.map((t: any) => t.name);

  const query = gql`query Timeline($id: ID!) {
    timeline(recordId: $id) { edges { node { __typename ... on Activity { id subject } } } }
  }`;
  const subjects = async (cache: InMemoryCache) => {
    const client = new ApolloClient({ link: new HttpLink({ uri: relate.base + "/graphql", headers }), cache });
    const result = await client.query({ query, variables: { id: account } });
    return result.data.timeline.edges.map((edge: any) => edge.node.subject);
  };
  assert.deepEqual(await subjects(new InMemoryCache({ possibleTypes })), ["Send the brochure"]);
  assert.deepEqual(await subjects(new InMemoryCache()), [undefined]);
});
