/**
 * A real `redis-server` on a free loopback port, for the render farm's tests (test/farm*.test.ts)
 * and its benchmark (farm-throughput.ts). `.ci/run` installs Debian's package; where it is missing
 * outside CI the farm tests skip.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const REDIS_SERVER = process.env["SCENEC_TEST_REDIS_SERVER"] ?? "/usr/bin/redis-server";
export const hasRedis = existsSync(REDIS_SERVER);

export interface RedisServer {
  port: number;
  url: string;
  /** The TLS server's self-signed certificate (PEM), for NODE_EXTRA_CA_CERTS. */
  certificate?: string;
  /** Stops the server (SIGTERM: a persistent one writes its append-only file) and starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server answers PING (within `timeoutMs`). */
export async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pong = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("error", () => resolve(false));
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
    });
    if (pong) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once something accepts connections on the port (a TLS or password-protected server answers no plain PING). */
async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("error", () => resolve(false));
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
    });
  while (!(await accepts())) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface RedisServerOptions {
  /** With an append-only file in a folder of its own, so that a restart keeps the queue (as a production Redis does); otherwise nothing is saved. */
  persistent?: boolean;
  /** `requirepass`: clients must give it (as the default user's password). */
  password?: string;
  /** TLS only, with a self-signed certificate for 127.0.0.1 made by openssl: its file is {@link RedisServer.certificate}. */
  tls?: boolean;
}

/** Starts redis-server on loopback. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-redis-"));
  const certificate = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  if (options.tls)
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
  const listen = options.tls ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", certificate, "--tls-key-file", key, "--tls-ca-cert-file", certificate, "--tls-auth-clients", "no"] : ["--port", String(port)];
  const args = [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", options.persistent ? "yes" : "no", "--dir", dir, ...(options.password ? ["--requirepass", options.password] : [])];
  let child: ChildProcess;
  const start = async () => {
    child = spawn(REDIS_SERVER, args, { stdio: "ignore" });
    await (options.tls || options.password ? waitForPort(port) : waitForPing(port));
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  await start();
  return {
    port,
    url: `redis${options.tls ? "s" : ""}://127.0.0.1:${port}`,
    ...(options.tls ? { certificate } : {}),
    async restart(downMs = 1000) {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Redis `.ci/run` started for the whole test run (SCENEC_TEST_REDIS_URL), else one of the tests' own. */
export async function sharedRedis(): Promise<RedisServer> {
  const url = process.env["SCENEC_TEST_REDIS_URL"];
  if (!url) return startRedis(); // unset or empty: no shared one
  const port = Number(new URL(url).port);
  return {
    port,
    url,
    restart: () => Promise.reject(new Error("the shared Redis is not restarted: start one of your own (startRedis)")),
    stop: () => Promise.resolve(),
  };
}
