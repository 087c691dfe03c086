/**
 * Contract test (SPEC §8): every request the connectors send conforms to the
 * platforms' reference files in ../shared/reference (schema, required headers,
 * batch limits), and the emulators refuse requests that do not. The other
 * sync test files run the same check over their own traffic in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acgContract, webexContract } from '../../src/emulators/contract.js';
import { expectAllConform, numbers, startAcg, startWebex } from './sync-support.js';

let acg: Awaited<ReturnType<typeof startAcg>>;
let webex: Awaited<ReturnType<typeof startWebex>>;

beforeAll(async () => {
  acg = await startAcg();
  webex = await startWebex();
});
afterAll(async () => {
  await acg.emulator.close();
  await webex.emulator.close();
});

describe('connector traffic conforms to the reference files', () => {
  it('ACG: every operation the connector uses, under throttling and outages', async () => {
    const target = { id: 'contract-co' };
    await acg.connector.upsertAccount({
      name: target.id,
      correlationId: 'corr-1',
      serviceDetails: { teamsOperatorConnect: { enabled: true, syncEnabled: true } },
    });
    await acg.connector.upsertAccount({ name: target.id, correlationId: 'corr-2' });
    await acg.control('throttle', { count: 2, retryAfterSeconds: 1 });
    await acg.connector.pushNumbers(
      target,
      numbers(4412_1496_0000, 250).map((e164, i) => ({
        e164,
        service: i % 2 ? 'teamsPhoneMobile' : 'teamsOperatorConnect',
        customSipHeader: 'hdr-1',
        civicAddressId: 'addr',
        locationId: 'loc',
        customerMayUpdate: i % 3 === 0,
      })),
    );
    await acg.control('outage', { count: 2, status: 500, afterExecute: true });
    await acg.connector.deleteNumbers(target, numbers(4412_1496_0000, 120));
    await acg.connector.listNumbers(target);
    await acg.connector.listConsents();
    await acg.connector.listCivicAddresses(target);
    await acg.control('expire-tokens', {});
    await acg.connector.getAccount(target.id);

    const requests = acg.emulator.requests;
    const ops = new Set(requests.map((r) => r.operationId));
    for (const op of [
      'oauth2Token',
      'Accounts_Get',
      'Accounts_CreateOrReplace',
      'Accounts_CreateOrUpdateNumbers',
      'Accounts_DeleteNumbers',
      'Accounts_ListNumbers',
      'TeamsRequestsForInformation_List',
      'Accounts_ListTeamsCivicAddresses',
    ])
      expect(ops).toContain(op);
    expect(expectAllConform('acg', requests, acgContract())).toBeGreaterThan(15);
    // no custom SIP header went out on a Teams Phone Mobile number.
    const pushed = requests
      .filter((r) => r.operationId === 'Accounts_CreateOrUpdateNumbers')
      .flatMap((r) => (r.body as { numbers: Record<string, unknown>[] }).numbers);
    expect(
      pushed.filter(
        (n) =>
          (n.serviceDetails as Record<string, unknown>).teamsPhoneMobile !== undefined &&
          n.configuration !== undefined,
      ),
    ).toEqual([]);
    // Retries repeat the Repeatability-Request-ID; new batches get new ones.
    const ids = requests
      .filter((r) => r.operationId === 'Accounts_CreateOrUpdateNumbers')
      .map((r) => r.headers['repeatability-request-id']);
    expect(new Set(ids).size).toBe(3);
    expect(ids).toHaveLength(5);
  });

  it('Webex: every operation the connector uses, under throttling and outages', async () => {
    const target = { id: 'LOC-CONTRACT', orgId: 'ORG-1' };
    await webex.control('locations', { locationId: target.id, mainNumber: '+441214960999' });
    await webex.control('throttle', { count: 2, retryAfterSeconds: 1 });
    await webex.connector.pushNumbers(
      target,
      numbers(4412_1496_1000, 130).map((e164, i) => ({
        e164,
        active: i % 2 === 0,
        usage: i % 5 === 0 ? 'SERVICE' : 'user',
      })),
    );
    await webex.connector.pushNumbers(
      target,
      numbers(4477_0090_0000, 25).map((e164) => ({ e164, numberType: 'MOBILE' as const })),
    );
    await webex.control('outage', { count: 1, status: 503 });
    await webex.connector.setNumbersActive(target, numbers(4412_1496_1000, 10), true);
    await webex.connector.deleteNumbers(target, [...numbers(4412_1496_1000, 11), '+441214960999']);
    await webex.connector.listNumbers(target);

    const requests = webex.emulator.requests;
    expect(new Set(requests.map((r) => r.operationId))).toEqual(
      new Set([
        'AddPhoneNumbersToALocation',
        'ManageNumberStateInALocation',
        'RemovePhoneNumbersFromALocation',
        'GetPhoneNumbersForAnOrganizationWithGivenCriteria',
      ]),
    );
    expect(expectAllConform('webex', requests, webexContract())).toBeGreaterThan(10);
    const mobileAdds = requests.filter(
      (r) => (r.body as { numberType?: string } | undefined)?.numberType === 'MOBILE',
    );
    expect(
      mobileAdds.map((r) => (r.body as { phoneNumbers: unknown[] }).phoneNumbers.length),
    ).toEqual([20, 5]);
    expect(requests.every((r) => r.query.orgId === 'ORG-1')).toBe(true);
  });
});

describe('the emulators refuse requests that do not conform, with the reason', () => {
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('ACG: 101 numbers in a batch, a malformed number, a missing api-version, no token', async () => {
    const tokenRes = await fetch(`${acg.url}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'numbat-emulator',
        client_secret: 'numbat-emulator-secret',
        scope: 's',
      }).toString(),
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${access_token}` };
    const url = `${acg.url}/accounts/contract-co:createOrUpdateNumbers?api-version=2024-02-29-preview`;
    const number = (telephoneNumber: string) => ({
      telephoneNumber,
      accountName: 'contract-co',
      serviceDetails: { teamsOperatorConnect: { enabled: true } },
    });

    const tooMany = await post(url, { numbers: numbers(4412_1496_5000, 101).map(number) }, auth);
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { error: { message: string } }).error.message).toMatch(
      /body\/numbers must NOT have more than 100 items/,
    );

    const malformed = await post(url, { numbers: [number('01214960000')] }, auth);
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(await malformed.json())).toMatch(/telephoneNumber must match pattern/);

    const noVersion = await post(url.replace(/\?.*/, ''), { numbers: [] }, auth);
    expect(noVersion.status).toBe(400);
    expect(JSON.stringify(await noVersion.json())).toMatch(/api-version is required/);

    const noToken = await post(url, { numbers: [] });
    expect(noToken.status).toBe(401);
    expect(acg.emulator.state.numbers.has('+441214965000')).toBe(false);
  });

  it('control endpoints refuse bad input with the reason and change nothing', async () => {
    const res = await post(`${acg.url}/_control/throttle`, { count: 'lots' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/count must be integer/);
    expect(acg.emulator.faults.throttle.count).toBe(0);
    const consent = await post(`${acg.url}/_control/consents`, { tenantId: 'not-a-uuid' });
    expect(consent.status).toBe(400);
    expect(acg.emulator.state.consents.size).toBe(0);
  });

  it('Webex: 6 numbers in a delete, an unknown action, a missing body field', async () => {
    const auth = { authorization: 'Bearer webex-emulator-token' };
    const url = `${webex.url}/telephony/config/locations/LOC-CONTRACT/numbers`;
    const del = await fetch(url, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ phoneNumbers: numbers(4412_1496_1020, 6) }),
    });
    expect(del.status).toBe(400);
    expect(((await del.json()) as { message: string }).message).toMatch(
      /at most 5 numbers per delete/,
    );

    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ phoneNumbers: ['+441214961020'], action: 'PAUSE' }),
    });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { message: string }).message).toMatch(
      /action must be equal to one of the allowed values: ACTIVATE, DEACTIVATE/,
    );

    const add = await post(url, { numbers: ['+441214961020'] }, auth);
    expect(add.status).toBe(400);
    expect(((await add.json()) as { message: string }).message).toMatch(
      /must have required property 'phoneNumbers'/,
    );

    // Nothing of the refused requests happened.
    const listed = await webex.connector.listNumbers({ id: 'LOC-CONTRACT' });
    expect(listed.some((n) => n.e164 === '+441214961020' && n.active)).toBe(true);
    expect(listed.filter((n) => numbers(4412_1496_1020, 6).includes(n.e164))).toHaveLength(6);
  });
});
