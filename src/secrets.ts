// Secrets at rest (R2.2): JSON values sealed with AES-256-GCM under the configured key.
//
// Sealed format: `v1:<iv>:<tag>:<ciphertext>`, each part base64. A fresh random 12-byte IV per
// value; the 16-byte GCM tag makes any change to the IV, tag or ciphertext (or a wrong key) fail to
// open instead of yielding garbage. The version prefix lets the format change later without
// guessing. An optional `purpose` is bound as additional authenticated data, so a value sealed for
// one column cannot be pasted into another.
//
// The key: ENCRYPTION_KEY when set. Otherwise, on the embedded default (no DATABASE_URL), one is
// generated once and kept in `<DATA_DIR>/encryption.key` (mode 0600) next to the data it protects.
// With DATABASE_URL and no key, nothing can be sealed: connecting RingCentral fails with a clear
// error, but the app still starts (everything else works without credentials).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { decodeKey } from "./config.ts";
import { EncryptionKeyRequiredError } from "./domain/ringcentral-errors.ts";

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_FILE_NAME = "encryption.key";

/** A sealed value could not be opened: tampered with, truncated, or sealed under another key. */
export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`Cannot decrypt a stored secret: ${reason}`);
  }
}

function requireKey(key: Buffer): void {
  if (key.length !== 32) throw new Error("An AES-256 key has 32 bytes");
}

export function encryptJson(key: Buffer, value: unknown, purpose = ""): string {
  requireKey(key);
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(purpose, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), ciphertext.toString("base64")].join(
    ":",
  );
}

export function decryptJson<T = unknown>(key: Buffer, sealed: string, purpose = ""): T {
  requireKey(key);
  const parts = sealed.split(":");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretDecryptionError("unknown format");
  const [, ivPart, tagPart, dataPart] = parts as [string, string, string, string];
  const iv = Buffer.from(ivPart, "base64");
  const tag = Buffer.from(tagPart, "base64");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptionError("malformed");
  const decipher = crypto.createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(purpose, "utf8"));
  decipher.setAuthTag(tag);
  let plaintext: string;
  try {
    plaintext = Buffer.concat([decipher.update(Buffer.from(dataPart, "base64")), decipher.final()]).toString("utf8");
  } catch {
    // GCM says only "unable to authenticate": a wrong key and a tampered value look the same.
    throw new SecretDecryptionError("wrong key or tampered value");
  }
  return JSON.parse(plaintext) as T;
}

/** Seals and opens secrets with the configured key, resolved on first use. */
export interface SecretBox {
  seal(value: unknown, purpose?: string): Promise<string>;
  open<T = unknown>(sealed: string, purpose?: string): Promise<T>;
}

export interface KeySource {
  encryptionKey?: Buffer;
  databaseUrl?: string;
  /** The embedded database's directory; "" means in-memory (the key then lives as long as the process). */
  dataDir: string;
}

/** Reads `<dataDir>/encryption.key`, creating it (0600) the first time. Safe against two
 * processes starting at once: exclusive create, and the loser reads the winner's key. */
function embeddedKey(dataDir: string): Buffer {
  const file = path.join(dataDir, KEY_FILE_NAME);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString("hex")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const key = decodeKey(fs.readFileSync(file, "utf8").trim());
  if (!key) throw new Error(`${file} does not hold a 32-byte key (64 hex characters or base64)`);
  return key;
}

export function resolveEncryptionKey(source: KeySource): Buffer {
  if (source.encryptionKey) return source.encryptionKey;
  if (source.databaseUrl) {
    throw new EncryptionKeyRequiredError(
      "Set ENCRYPTION_KEY (32 bytes as 64 hex characters or base64) to connect RingCentral: credentials are " +
        "stored encrypted",
    );
  }
  return source.dataDir ? embeddedKey(source.dataDir) : crypto.randomBytes(32);
}

export function createSecretBox(source: KeySource): SecretBox {
  let key: Buffer | undefined;
  // Not cached on failure: the error must repeat on every attempt, each with its clear message.
  const currentKey = () => (key ??= resolveEncryptionKey(source));
  return {
    seal: async (value, purpose) => encryptJson(currentKey(), value, purpose),
    open: async (sealed, purpose) => decryptJson(currentKey(), sealed, purpose),
  };
}
