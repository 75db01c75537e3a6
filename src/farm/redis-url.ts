import { isIP } from "node:net";
import { CliError } from "../cli/errors.js";

/**
 * A render farm's Redis, from `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS).
 * The credentials go into the connection options only: everything scenec prints names the server
 * by {@link RedisAddress.shown}, and {@link RedisAddress.redact} scrubs them from any message
 * (ioredis's and BullMQ's errors included).
 */
export interface RedisAddress {
  /** ioredis's connection options (BullMQ's too). */
  options: RedisConnection;
  /** The URL without its credentials: `rediss://host:6380/2`. */
  shown: string;
  redact(message: string): string;
}

export interface RedisConnection {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
  tls?: { servername?: string };
}

const DEFAULT_PORT = 6379;

/**
 * The address of `url`, given to `option`. `envPassword` (SCENEC_REDIS_PASSWORD, as redis-cli
 * reads REDISCLI_AUTH) is the password when the URL has none: a command line is visible to the
 * machine's other users (`ps`), the environment is not.
 */
export function parseRedisUrl(url: string, option: string, envPassword?: string): RedisAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not even the URL is echoed: it may hold a password.
    throw new CliError(`${option} needs a Redis URL such as redis://HOST:6379 or rediss://USER:PASSWORD@HOST:6380/0`);
  }
  const tls = parsed.protocol === "rediss:";
  if (!tls && parsed.protocol !== "redis:") throw new CliError(`${option} needs a redis:// or rediss:// (TLS) URL, not ${parsed.protocol}//…`);
  if (parsed.hostname === "") throw new CliError(`${option} needs a host: redis://HOST:6379`);
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,5}$/.test(db)) throw new CliError(`${option}: the URL's path is the database number (redis://HOST:6379/0), not /${db}`);
  const port = parsed.port === "" ? DEFAULT_PORT : Number(parsed.port);
  const username = decodeURIComponent(parsed.username);
  const password = parsed.password === "" ? (envPassword ?? "") : decodeURIComponent(parsed.password);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const shown = `${parsed.protocol}//${parsed.host}${db === "" ? "" : `/${db}`}`;
  // Redis's own user name `default` names no one; any other user name is kept as secret as the password.
  const secrets = [password, parsed.password, ...(username === "default" ? [] : [username, parsed.username])].filter((s) => s.length >= 3);
  return {
    options: {
      host,
      port,
      ...(db === "" ? {} : { db: Number(db) }),
      ...(username === "" ? {} : { username }),
      ...(password === "" ? {} : { password }),
      // TLS checks the certificate against the host; SNI is for names only (RFC 6066), not addresses.
      ...(tls ? { tls: isIP(host) ? {} : { servername: host } } : {}),
    },
    shown,
    redact(message) {
      let out = message.split(url).join(shown);
      for (const secret of secrets) out = out.split(secret).join("***");
      return out;
    },
  };
}
