/** `numbat emulator acg|webex --port N`: one emulator in the foreground for a demo. */
import { InvalidArgumentError } from 'commander';
import {
  ACG_EMULATOR_CLIENT_ID,
  ACG_EMULATOR_CLIENT_SECRET,
  createAcgEmulator,
  describeAcgEmulator,
} from './acg.js';
import { createWebexEmulator, describeWebexEmulator, WEBEX_EMULATOR_TOKEN } from './webex.js';

export async function startEmulator(platform: string, port: number, host: string): Promise<void> {
  let close: () => Promise<void>;
  if (platform === 'acg') {
    const emulator = createAcgEmulator();
    const url = await emulator.listen(port, host);
    close = () => emulator.close();
    console.log(describeAcgEmulator(url));
    console.log(
      `OAuth2: token URL ${url}/oauth2/v2.0/token, client id ${ACG_EMULATOR_CLIENT_ID}, ` +
        `secret ${ACG_EMULATOR_CLIENT_SECRET}; api-version 2024-02-29-preview`,
    );
  } else if (platform === 'webex') {
    const emulator = createWebexEmulator();
    const url = await emulator.listen(port, host);
    close = () => emulator.close();
    console.log(describeWebexEmulator(url));
    console.log(`API calls need: Authorization: Bearer ${WEBEX_EMULATOR_TOKEN}`);
  } else {
    throw new InvalidArgumentError(`unknown platform "${platform}" (acg or webex)`);
  }
  const stop = async (signal: string) => {
    console.error(`${signal}: stopping the emulator`);
    await close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
