/** SPEC §5: service statuses, number platform fields (R-31..R-33, R-37), consents. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import {
  assertPlatformFields,
  assertRelationshipChange,
  effectiveCac,
  initialServiceStatus,
  nextServiceStatus,
  platformFieldViolations,
  platforms,
  relationshipStatuses,
  serviceStatuses,
  type PlatformFields,
  type ServiceEvent,
} from '../../src/domain/platform.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    throw e;
  }
  return undefined;
};

const fields = (over: Partial<PlatformFields> = {}): PlatformFields => ({
  usage: null,
  capabilities: [],
  customSipHeader: null,
  cacLimit: null,
  civicAddressId: null,
  locationId: null,
  customerMayUpdate: false,
  ...over,
});

describe('R-30 service status', () => {
  it('R-30 walks pendingConsent → pendingProvisioning → ready → removing → gone', () => {
    expect(nextServiceStatus('pendingConsent', 'consentGiven')).toBe('pendingProvisioning');
    expect(nextServiceStatus('pendingProvisioning', 'numbersProvisioned')).toBe('ready');
    expect(nextServiceStatus('ready', 'numbersProvisioned')).toBe('ready');
    expect(nextServiceStatus('ready', 'removalRequested')).toBe('removing');
    expect(nextServiceStatus('removing', 'removalRequested')).toBe('removing');
    expect(nextServiceStatus('removing', 'removed')).toBe('gone');
  });

  it('R-30 refuses numbers before consent, on a removing service, and removal without request', () => {
    expect(codeOf(() => nextServiceStatus('pendingConsent', 'numbersProvisioned'))).toBe(
      'SERVICE_STATUS',
    );
    expect(codeOf(() => nextServiceStatus('removing', 'numbersProvisioned'))).toBe(
      'SERVICE_STATUS',
    );
    expect(codeOf(() => nextServiceStatus('ready', 'removed'))).toBe('SERVICE_STATUS');
    expect(codeOf(() => nextServiceStatus('ready', 'consentGiven'))).toBe('SERVICE_STATUS');
  });

  it('R-30 property: every refusal is SERVICE_STATUS with rule R-30, every answer a known status', () => {
    const events: ServiceEvent[] = [
      'consentGiven',
      'numbersProvisioned',
      'removalRequested',
      'removed',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...serviceStatuses), fc.constantFrom(...events), (s, e) => {
        try {
          const next = nextServiceStatus(s, e);
          expect([...serviceStatuses, 'gone']).toContain(next);
        } catch (err) {
          expect(err).toBeInstanceOf(DomainError);
          expect((err as DomainError).rule).toBe('R-30');
        }
      }),
    );
  });

  it('R-30 hosted voice starts pendingProvisioning; Teams waits for consent unless it is there', () => {
    expect(initialServiceStatus('hostedVoice', false)).toBe('pendingProvisioning');
    expect(initialServiceStatus('teamsOperatorConnect', false)).toBe('pendingConsent');
    expect(initialServiceStatus('teamsOperatorConnect', true)).toBe('pendingProvisioning');
    expect(initialServiceStatus('webexCloudConnect', false)).toBe('pendingConsent');
  });
});

describe('number platform fields', () => {
  it('R-31 custom SIP header is refused on Teams Phone Mobile only', () => {
    const f = fields({ customSipHeader: 'abc-1' });
    expect(platformFieldViolations('teamsPhoneMobile', f).map((v) => v.code)).toEqual([
      'CUSTOM_SIP_HEADER_NOT_ALLOWED',
    ]);
    for (const p of ['teamsOperatorConnect', 'webexCloudConnect', 'hostedVoice'] as const)
      expect(platformFieldViolations(p, f)).toEqual([]);
  });

  it('R-32 Webex number types are user, application (Service) and contactCenter', () => {
    expect(
      platformFieldViolations('webexCloudConnect', fields({ usage: 'conference' }))[0],
    ).toMatchObject({
      code: 'USAGE_NOT_ALLOWED',
      rule: 'R-32',
    });
    for (const usage of ['user', 'application', 'contactCenter'] as const)
      expect(platformFieldViolations('webexCloudConnect', fields({ usage }))).toEqual([]);
    expect(
      platformFieldViolations('teamsOperatorConnect', fields({ usage: 'contactCenter' }))[0]?.code,
    ).toBe('USAGE_NOT_ALLOWED');
  });

  it('R-33 user numbers have CAC 2 fixed; contactCenter and application take any CAC ≥ 2', () => {
    expect(
      platformFieldViolations('webexCloudConnect', fields({ usage: 'user', cacLimit: 5 }))[0],
    ).toMatchObject({
      code: 'CAC_FIXED',
      rule: 'R-33',
    });
    expect(platformFieldViolations(null, fields({ usage: 'user', cacLimit: 3 }))[0]?.code).toBe(
      'CAC_FIXED',
    );
    expect(
      platformFieldViolations('webexCloudConnect', fields({ usage: 'user', cacLimit: 2 })),
    ).toEqual([]);
    expect(
      platformFieldViolations(
        'webexCloudConnect',
        fields({ usage: 'contactCenter', cacLimit: 30 }),
      ),
    ).toEqual([]);
    expect(
      platformFieldViolations('webexCloudConnect', fields({ usage: 'application', cacLimit: 4 })),
    ).toEqual([]);
    expect(effectiveCac('webexCloudConnect', { usage: 'user', cacLimit: null })).toBe(2);
    expect(
      effectiveCac('webexCloudConnect', { usage: 'contactCenter', cacLimit: null }),
    ).toBeNull();
  });

  it('R-37 a Teams user number needs civic address and location unless the customer may update', () => {
    for (const p of ['teamsOperatorConnect', 'teamsPhoneMobile'] as const) {
      expect(platformFieldViolations(p, fields({ usage: 'user' }))[0]).toMatchObject({
        code: 'EMERGENCY_ADDRESS_REQUIRED',
        rule: 'R-37',
      });
      expect(
        platformFieldViolations(
          p,
          fields({ usage: 'user', civicAddressId: 'a', locationId: null }),
        ),
      ).toHaveLength(1);
      expect(
        platformFieldViolations(p, fields({ usage: 'user', civicAddressId: 'a', locationId: 'l' })),
      ).toEqual([]);
      expect(
        platformFieldViolations(p, fields({ usage: 'user', customerMayUpdate: true })),
      ).toEqual([]);
      expect(platformFieldViolations(p, fields({ usage: 'application' }))).toEqual([]);
    }
    expect(platformFieldViolations('webexCloudConnect', fields({ usage: 'user' }))).toEqual([]);
  });

  it('the mobile capability belongs to Teams Phone Mobile', () => {
    expect(
      platformFieldViolations('teamsOperatorConnect', fields({ capabilities: ['mobile'] }))[0]
        ?.code,
    ).toBe('CAPABILITY_NOT_ALLOWED');
    expect(
      platformFieldViolations('teamsPhoneMobile', fields({ capabilities: ['mobile'] })),
    ).toEqual([]);
  });

  it('assertPlatformFields throws the first violation with all of them in details', () => {
    const f = fields({ usage: 'contactCenter', customSipHeader: 'x' });
    try {
      assertPlatformFields('teamsPhoneMobile', f, '+447700900000');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('CUSTOM_SIP_HEADER_NOT_ALLOWED');
      expect((e as DomainError).details?.violations).toHaveLength(2);
    }
  });

  it('property: a number on no service only ever breaks R-33', () => {
    const usage = fc.constantFrom(
      null,
      'user',
      'application',
      'conference',
      'contactCenter' as const,
    );
    fc.assert(
      fc.property(
        usage,
        fc.option(fc.integer({ min: 2, max: 50 })),
        fc.boolean(),
        (u, cac, may) => {
          const v = platformFieldViolations(
            null,
            fields({ usage: u, cacLimit: cac, customerMayUpdate: may }),
          );
          expect(v.every((x) => x.rule === 'R-33')).toBe(true);
          for (const p of platforms) platformFieldViolations(p, fields({ usage: u })); // never throws
        },
      ),
    );
  });
});

describe('consent relationship', () => {
  it('R-34 consentDeclined and contractTerminated need a reason', () => {
    expect(
      codeOf(() => assertRelationshipChange('consentAcknowledged', 'consentDeclined', null)),
    ).toBe('REASON_REQUIRED');
    expect(
      codeOf(() => assertRelationshipChange('agreementSigned', 'contractTerminated', '  ')),
    ).toBe('REASON_REQUIRED');
    expect(
      codeOf(() => assertRelationshipChange('agreementSigned', 'contractTerminated', 'moved')),
    ).toBeUndefined();
  });

  it('moves forward, and not back from an agreement', () => {
    expect(
      codeOf(() => assertRelationshipChange('consentAcknowledged', 'customerContacted', null)),
    ).toBeUndefined();
    expect(
      codeOf(() => assertRelationshipChange('customerContacted', 'agreementSigned', null)),
    ).toBeUndefined();
    expect(
      codeOf(() => assertRelationshipChange('agreementSigned', 'consentAcknowledged', null)),
    ).toBe('RELATIONSHIP_TRANSITION');
    expect(codeOf(() => assertRelationshipChange('agreementSigned', 'consentDeclined', 'x'))).toBe(
      'RELATIONSHIP_TRANSITION',
    );
  });

  it('property: R-34 is checked for every origin, and staying put is always allowed with its reason', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...relationshipStatuses),
        fc.constantFrom(...relationshipStatuses),
        (a, b) => {
          const needsReason = b === 'consentDeclined' || b === 'contractTerminated';
          if (needsReason)
            expect(codeOf(() => assertRelationshipChange(a, b, ''))).toBe('REASON_REQUIRED');
          expect(codeOf(() => assertRelationshipChange(b, b, 'why'))).toBeUndefined();
        },
      ),
    );
  });
});
