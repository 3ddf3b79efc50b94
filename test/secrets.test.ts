// R2.2: credentials are sealed with AES-256-GCM; tampering or a wrong key is detected, never
// silently decrypted to garbage. The embedded default keeps a generated key in the data directory.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { createSecretBox, decryptJson, encryptJson, KEY_FILE_NAME, SecretDecryptionError } from "../src/secrets.ts";

const key = crypto.randomBytes(32);
const secret = { clientSecret: "s3cr3t-value", jwt: "eyJ.header.payload", nested: { emoji: "📞", n: 1 } };
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchboard-secrets-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Flips one bit of the base64 part at `index` of `v1:<iv>:<tag>:<ciphertext>`. */
function flipBit(sealed: string, index: number): string {
  const parts = sealed.split(":");
  const bytes = Buffer.from(parts[index]!, "base64");
  bytes[0]! ^= 1;
  parts[index] = bytes.toString("base64");
  return parts.join(":");
}

describe("encryptJson / decryptJson", () => {
  it("round-trips JSON values, with a fresh IV each time and no plaintext in the sealed form", () => {
    const a = encryptJson(key, secret);
    const b = encryptJson(key, secret);
    expect(a).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("s3cr3t");
    expect(Buffer.from(a.split(":")[3]!, "base64").toString("latin1")).not.toContain("s3cr3t");
    expect(decryptJson(key, a)).toEqual(secret);
    expect(decryptJson(key, b)).toEqual(secret);
  });

  it("detects tampering with the IV, the tag or the ciphertext", () => {
    const sealed = encryptJson(key, secret);
    for (const index of [1, 2, 3])
      expect(() => decryptJson(key, flipBit(sealed, index))).toThrow(SecretDecryptionError);
    expect(() => decryptJson(key, sealed.replace(/^v1/, "v9"))).toThrow(SecretDecryptionError);
    expect(() => decryptJson(key, "v1:abc")).toThrow(SecretDecryptionError);
  });

  it("refuses a wrong key, and a value sealed for another purpose", () => {
    const sealed = encryptJson(key, secret, "ringcentral-connection");
    expect(() => decryptJson(crypto.randomBytes(32), sealed, "ringcentral-connection")).toThrow(SecretDecryptionError);
    expect(() => decryptJson(key, sealed, "ringcentral-agent-session")).toThrow(SecretDecryptionError);
    expect(decryptJson(key, sealed, "ringcentral-connection")).toEqual(secret);
  });
});

describe("createSecretBox: where the key comes from", () => {
  it("uses ENCRYPTION_KEY when set", async () => {
    const box = createSecretBox({ encryptionKey: key, dataDir: "" });
    expect(decryptJson(key, await box.seal(secret))).toEqual(secret);
  });

  it("embedded default: generates a key once in <DATA_DIR>/encryption.key (0600) and reuses it", async () => {
    const dataDir = tempDir();
    const sealed = await createSecretBox({ dataDir }).seal(secret);
    const file = path.join(dataDir, KEY_FILE_NAME);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // Another process (a new box) opens what the first sealed.
    expect(await createSecretBox({ dataDir }).open(sealed)).toEqual(secret);
    expect(fs.readFileSync(file, "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("with DATABASE_URL and no key: sealing fails with a clear ENCRYPTION_KEY_REQUIRED error", async () => {
    const box = createSecretBox({ databaseUrl: "postgres://localhost/x", dataDir: tempDir() });
    await expect(box.seal(secret)).rejects.toMatchObject({
      code: "ENCRYPTION_KEY_REQUIRED",
      message: expect.stringContaining("ENCRYPTION_KEY"),
    });
  });
});
