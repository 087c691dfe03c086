/**
 * Which platforms Numbat can reach, from the environment (README "Platform
 * sync"). A platform without configuration has no connector: its push jobs end
 * `failed` with SYNC_NOT_CONFIGURED, visibly, instead of waiting forever.
 *
 * - NUMBAT_ACG_URL, NUMBAT_ACG_TOKEN_URL, NUMBAT_ACG_CLIENT_ID,
 *   NUMBAT_ACG_CLIENT_SECRET, NUMBAT_ACG_SCOPE (optional): the Azure
 *   Communications Gateway provisioning API and its OAuth2 client credentials.
 * - NUMBAT_WEBEX_URL (default https://webexapis.com/v1), NUMBAT_WEBEX_TOKEN.
 * - NUMBAT_SYNC_RETRY_ATTEMPTS (default 6), NUMBAT_SYNC_RETRY_BASE_MS (default
 *   200): per-request retries with exponential backoff and full jitter; a
 *   Retry-After from the platform always wins.
 */
import type { Platform } from '../db/schema.js';
import { AcgConnector, type AcgConnectorConfig } from './connectors/acg.connector.js';
import type { Connector } from './connectors/connector.js';
import type { RetryPolicy } from './connectors/http.js';
import { WebexConnector, type WebexConnectorConfig } from './connectors/webex.connector.js';

export interface SyncConfig {
  acg: AcgConnectorConfig | null;
  webex: WebexConnectorConfig | null;
}

function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} must be a whole number ≥ 1, got "${v}"`);
  return n;
}

export function loadSyncConfig(env: NodeJS.ProcessEnv = process.env): SyncConfig {
  const retry: Partial<RetryPolicy> = {
    maxAttempts: positive('NUMBAT_SYNC_RETRY_ATTEMPTS', env.NUMBAT_SYNC_RETRY_ATTEMPTS, 6),
    baseDelayMs: positive('NUMBAT_SYNC_RETRY_BASE_MS', env.NUMBAT_SYNC_RETRY_BASE_MS, 200),
  };
  const acgUrl = env.NUMBAT_ACG_URL;
  let acg: AcgConnectorConfig | null = null;
  if (acgUrl) {
    const { NUMBAT_ACG_TOKEN_URL: tokenUrl, NUMBAT_ACG_CLIENT_ID: clientId } = env;
    const clientSecret = env.NUMBAT_ACG_CLIENT_SECRET;
    if (!tokenUrl || !clientId || !clientSecret)
      throw new Error(
        'NUMBAT_ACG_URL is set: NUMBAT_ACG_TOKEN_URL, NUMBAT_ACG_CLIENT_ID and NUMBAT_ACG_CLIENT_SECRET are needed too',
      );
    acg = {
      baseUrl: acgUrl.replace(/\/$/, ''),
      auth: {
        tokenUrl,
        clientId,
        clientSecret,
        ...(env.NUMBAT_ACG_SCOPE ? { scope: env.NUMBAT_ACG_SCOPE } : {}),
      },
      retry,
    };
  }
  const webex: WebexConnectorConfig | null = env.NUMBAT_WEBEX_TOKEN
    ? {
        baseUrl: (env.NUMBAT_WEBEX_URL || 'https://webexapis.com/v1').replace(/\/$/, ''),
        accessToken: env.NUMBAT_WEBEX_TOKEN,
        retry,
      }
    : null;
  return { acg, webex };
}

/** The connector of each platform (one instance each: ACG caches its token). */
export interface Connectors {
  forPlatform(platform: Platform): Connector | null;
}

export function createConnectors(config: SyncConfig): Connectors {
  const acg = config.acg ? new AcgConnector(config.acg) : null;
  const webex = config.webex ? new WebexConnector(config.webex) : null;
  return {
    forPlatform(platform) {
      switch (platform) {
        case 'teamsOperatorConnect':
        case 'teamsPhoneMobile':
          return acg;
        case 'webexCloudConnect':
          return webex;
        case 'hostedVoice':
          return null;
      }
    },
  };
}
