/**
 * What the tests need around the client under test: a real Relate server (Python, on a free
 * port, seeded SQLite in a temporary directory), a TCP proxy in front of it that can cut
 * every connection and refuse new ones, and a tiny GraphQL-over-HTTP caller.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
// build-test/test/ → clients/js/test/serve_relate.py, repo root three levels above clients/js
const PACKAGE = path.resolve(HERE, "..", "..");
const SERVER_SCRIPT = path.join(PACKAGE, "test", "serve_relate.py");
const PYTHON = process.env.RELATE_PYTHON ?? path.resolve(PACKAGE, "..", "..", ".venv", "bin", "python");
const WAIT_MS = 30_000;

export interface Relate {
  base: string;
  token: string;
  stop(): Promise<void>;
}

export async function startRelate(): Promise<Relate> {
  const workdir = mkdtempSync(path.join(tmpdir(), "relate-live-"));
  const child: ChildProcess = spawn(PYTHON, [SERVER_SCRIPT, workdir], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const first = await withTimeout(
    new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the Relate server exited with ${code}`)));
    }),
    WAIT_MS, "the Relate server to start",
  );
  const { base, token } = JSON.parse(first) as { base: string; token: string };
  return {
    base, token,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin!.end();
      await withTimeout(exited, WAIT_MS, "the Relate server to stop").catch(() => child.kill("SIGKILL"));
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

/** A TCP proxy on a free port: `cut()` drops every open connection; `refuse(true)` drops new ones. */
export class CuttableProxy {
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;
  private server?: net.Server;
  connections = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => {
      if (this.refusing) { client.destroy(); return; }
      this.connections += 1;
      const upstream = net.connect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  refuse(on: boolean): void { this.refusing = on; }

  cut(): void { for (const socket of this.sockets) socket.destroy(); }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export async function graphql(relate: Relate, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const answer = await fetch(relate.base + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${relate.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await answer.json()) as { data?: any; errors?: unknown[] };
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Resolves once `condition()` holds; fails after `ms` (no fixed sleeps in the tests). */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  await withTimeout(new Promise<void>((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, 10));
    check();
  }), ms, what);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
