/** API token material: random, shown once, stored only as a SHA-256 hash. */
import { createHash, randomBytes } from 'node:crypto';

/** `nbt_` + 32 random bytes; high entropy, so a plain SHA-256 is a safe hash. */
export function newTokenSecret(): string {
  return `nbt_${randomBytes(32).toString('base64url')}`;
}

export const hashToken = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The first characters, kept to let people tell their tokens apart. */
export const tokenPrefix = (secret: string) => secret.slice(0, 10);
