import { checkSnsUrl, snsTopicRegion } from '../../src/core/check-sns-url';
import { parseSnsEnvelope, type SnsEnvelope } from '../../src/core/sns-envelope';
import { snsStringToSign } from '../../src/core/sns-string-to-sign';
import { createSnsVerifier } from '../../src/pipeline-events/verify-sns-message';
import { createSnsSigner, forgerKeys } from '../fixtures/sns-signing';
import { snsNotification, snsSubscriptionConfirmation } from '../fixtures/sns-messages';

function envelope(message: Record<string, unknown>): SnsEnvelope {
  const parsed = parseSnsEnvelope(message);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value;
}

describe('the string SNS signs', () => {
  it('lists Notification fields in byte order, Subject only when present', () => {
    const base = { Type: 'Notification', MessageId: 'm-1', TopicArn: 'arn:t', Message: 'My Test Message', Timestamp: '2019-01-31T04:37:04.321Z' };
    expect(snsStringToSign({ ...base, Subject: 'My subject' })).toBe(
      'Message\nMy Test Message\nMessageId\nm-1\nSubject\nMy subject\nTimestamp\n2019-01-31T04:37:04.321Z\nTopicArn\narn:t\nType\nNotification\n',
    );
    expect(snsStringToSign(base)).toBe('Message\nMy Test Message\nMessageId\nm-1\nTimestamp\n2019-01-31T04:37:04.321Z\nTopicArn\narn:t\nType\nNotification\n');
    expect(snsStringToSign({ ...base, Subject: null })).toBe(snsStringToSign(base));
  });
  it('lists SubscriptionConfirmation and UnsubscribeConfirmation fields with SubscribeURL and Token, never Subject', () => {
    const base = {
      MessageId: 'm-2',
      TopicArn: 'arn:t',
      Message: 'hi',
      Timestamp: 't',
      Token: 'tok',
      SubscribeURL: 'https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription',
      Subject: 'ignored',
    };
    const expected = (type: string) =>
      `Message\nhi\nMessageId\nm-2\nSubscribeURL\n${base.SubscribeURL}\nTimestamp\nt\nToken\ntok\nTopicArn\narn:t\nType\n${type}\n`;
    expect(snsStringToSign({ ...base, Type: 'SubscriptionConfirmation' })).toBe(expected('SubscriptionConfirmation'));
    expect(snsStringToSign({ ...base, Type: 'UnsubscribeConfirmation' })).toBe(expected('UnsubscribeConfirmation'));
    expect(snsStringToSign({ ...base, Type: 'Other' })).toBeUndefined();
    expect(snsStringToSign({ Type: 'SubscriptionConfirmation', MessageId: 'x' })).toBeUndefined();
  });
});

describe('SNS URLs the bot may fetch', () => {
  const CERT = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem';
  it.each([
    [CERT, 'us-east-1'],
    ['https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem', 'eu-central-1'],
    ['https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem', 'us-gov-west-1'],
    ['https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem', 'cn-north-1'],
    ['https://sns.cn-northwest-1.amazonaws.com.cn/SimpleNotificationService-abc.pem', 'cn-northwest-1'],
  ])('accepts the certificate %s (region %s)', (url, region) => {
    expect(checkSnsUrl(url, 'certificate')).toEqual({ ok: true, region });
  });

  it.each([
    ['a query string', `${CERT}?x=1`, /query string/],
    ['an empty query string', `${CERT}?`, /query string/],
    ['a fragment', `${CERT}#frag`, /fragment/],
    ['an empty fragment', `${CERT}#`, /fragment/],
    ['userinfo', CERT.replace('https://', 'https://user:pw@'), /credentials/],
    ['empty userinfo', CERT.replace('https://', 'https://@'), /credentials/],
    ['a port', CERT.replace('.com/', '.com:8443/'), /port/],
    ['the default port written out', CERT.replace('.com/', '.com:443/'), /canonical/],
    ['another path', 'https://sns.us-east-1.amazonaws.com/x.pem', /SimpleNotificationService-<hex>\.pem/],
    ['a made-up directory', 'https://sns.us-east-1.amazonaws.com/evil/SimpleNotificationService-abc.pem', /SimpleNotificationService-<hex>\.pem/],
    ['a non-hex name', 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-other.pem', /SimpleNotificationService-<hex>\.pem/],
    ['a .txt file', 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.txt', /SimpleNotificationService-<hex>\.pem/],
    ['a dot segment', 'https://sns.us-east-1.amazonaws.com/x/../SimpleNotificationService-abc.pem', /canonical/],
    ['a backslash', 'https://sns.us-east-1.amazonaws.com\\SimpleNotificationService-abc.pem', /canonical/],
    ['an upper-case host', 'https://SNS.US-EAST-1.AMAZONAWS.COM/SimpleNotificationService-abc.pem', /canonical/],
    ['http', CERT.replace('https:', 'http:'), /not https/],
    ['a lookalike host (suffix)', 'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-abc.pem', /host/],
    ['a lookalike host (prefix)', 'https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem', /host/],
    ['a lookalike host (other service)', 'https://sqs.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem', /host/],
    ['a lookalike host (S3 bucket)', 'https://sns.us-east-1.amazonaws.com.s3.amazonaws.com/SimpleNotificationService-abc.pem', /host/],
    ['a lookalike host (no region)', 'https://sns.amazonaws.com/SimpleNotificationService-abc.pem', /host/],
    ['a China region on the .com domain', 'https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-abc.pem', /host/],
    ['a commercial region on the .cn domain', 'https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-abc.pem', /host/],
    ['the host in the path', 'https://evil.example/sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem', /host/],
    ['the host as userinfo', 'https://sns.us-east-1.amazonaws.com@evil.example/SimpleNotificationService-abc.pem', /credentials/],
    ['not a URL', 'not a url', /not a URL/],
    ['a non-string', 42, /missing/],
  ])('refuses a certificate URL with %s', (_name, url, reason) => {
    const result = checkSnsUrl(url, 'certificate');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('accepts a SubscribeURL only as /?Action=ConfirmSubscription on the SNS host', () => {
    expect(checkSnsUrl('https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&Token=1', 'subscribe').ok).toBe(true);
    expect(checkSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&Token=1', 'subscribe').ok).toBe(true);
    for (const url of [
      'https://attacker.example/?Action=ConfirmSubscription',
      'https://sns.us-east-2.amazonaws.com/?Action=Publish&Token=1',
      'https://sns.us-east-2.amazonaws.com/other?Action=ConfirmSubscription',
      'https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription#x',
      'https://u@sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription',
      'http://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription',
    ]) {
      expect(checkSnsUrl(url, 'subscribe')).toMatchObject({ ok: false });
    }
  });

  it('reads the region of a topic ARN in every supported partition', () => {
    expect(snsTopicRegion('arn:aws:sns:us-east-1:123456789012:t')).toBe('us-east-1');
    expect(snsTopicRegion('arn:aws-cn:sns:cn-north-1:123456789012:t')).toBe('cn-north-1');
    expect(snsTopicRegion('arn:aws-us-gov:sns:us-gov-west-1:123456789012:t')).toBe('us-gov-west-1');
    expect(snsTopicRegion('arn:aws:sqs:us-east-1:123456789012:t')).toBeUndefined();
  });
});

describe('SNS signature verification', () => {
  const signer = createSnsSigner();

  it('accepts signature versions 1 (SHA1withRSA) and 2 (SHA256withRSA) for notifications and confirmations, fetching the certificate once', async () => {
    const verifier = createSnsVerifier({ fetch: signer.fetch });
    for (const version of ['1', '2'] as const) {
      expect(await verifier.verify(envelope(signer.sign(snsNotification({ hello: 'world' }), version)))).toEqual({ ok: true });
      expect(await verifier.verify(envelope(signer.sign(snsNotification('no subject', { Subject: undefined }), version)))).toEqual({ ok: true });
      expect(await verifier.verify(envelope(signer.sign(snsSubscriptionConfirmation(), version)))).toEqual({ ok: true });
    }
    expect(signer.fetch.calls.filter((u) => u === signer.certUrl)).toHaveLength(1);
  });

  it.each([
    ['cn-north-1', 'arn:aws-cn:sns:cn-north-1:123456789012:mlops-events'],
    ['us-gov-west-1', 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:mlops-events'],
  ])("accepts a message of the %s partition, whose certificate is on that region's SNS host", async (region, topicArn) => {
    const partition = createSnsSigner(region);
    const verifier = createSnsVerifier({ fetch: partition.fetch });
    const message = partition.sign(snsNotification({ a: 1 }, { TopicArn: topicArn }), '2');
    expect(message['SigningCertURL']).toMatch(new RegExp(`^https://sns\\.${region}\\.amazonaws\\.com(\\.cn)?/`));
    expect(await verifier.verify(envelope(message))).toEqual({ ok: true });
    // The same message claiming a topic of another region is refused before any download.
    const otherRegion = partition.sign(snsNotification({ a: 1 }, { TopicArn: 'arn:aws:sns:us-east-1:123456789012:mlops-events' }), '2');
    expect(await verifier.verify(envelope(otherRegion))).toMatchObject({ ok: false, status: 403 });
    expect(partition.fetch.calls).toEqual([partition.certUrl]);
  });

  it('refuses tampered fields, a signature made with another key, and a v1 signature presented as v2', async () => {
    const verifier = createSnsVerifier({ fetch: signer.fetch });
    const signed = signer.sign(snsNotification({ model: 'fraud-detector' }));
    expect(await verifier.verify(envelope({ ...signed, Message: JSON.stringify({ model: 'evil' }) }))).toMatchObject({ ok: false, status: 401 });
    expect(await verifier.verify(envelope({ ...signed, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' }))).toMatchObject({ ok: false, status: 401 });
    expect(await verifier.verify(envelope({ ...signed, SignatureVersion: '2' }))).toMatchObject({ ok: false, status: 401 });
    const forger = createSnsSigner('us-east-1', { keyPem: forgerKeys().keyPem });
    expect(await verifier.verify(envelope(forger.sign(snsNotification({ model: 'x' }))))).toMatchObject({ ok: false, status: 401 });
  });

  it('never makes a request for an off-host, non-https or non-.pem certificate URL', async () => {
    const fetch = jest.fn(signer.fetch);
    const verifier = createSnsVerifier({ fetch });
    for (const url of [
      'https://attacker.example/cert.pem',
      'http://sns.us-east-1.amazonaws.com/cert.pem',
      'https://sns.us-east-1.amazonaws.com.attacker.example/cert.pem',
      'https://sns.us-east-1.amazonaws.com/cert.txt',
      `${signer.certUrl}?redirect=https://attacker.example/`,
      'https://sns.us-east-1.amazonaws.com/evil/SimpleNotificationService-0f.pem',
      // Well-formed, but another region than the topic's (us-east-1).
      signer.certUrl.replace('us-east-1', 'eu-west-1'),
    ]) {
      const result = await verifier.verify(envelope(signer.sign(snsNotification({ a: 1 }, { SigningCertURL: url }))));
      expect(result).toMatchObject({ ok: false, status: 403 });
    }
    expect(fetch).not.toHaveBeenCalled();
  });

  it('answers 503 when the certificate cannot be read and does not cache the failure; the cache is bounded', async () => {
    let fail = true;
    const fetch = jest.fn(async (url: string) => (fail ? new Response('down', { status: 500 }) : signer.fetch(url)));
    const verifier = createSnsVerifier({ fetch, cacheSize: 2 });
    const message = envelope(signer.sign(snsNotification({ a: 1 })));
    expect(await verifier.verify(message)).toMatchObject({ ok: false, status: 503 });
    fail = false;
    expect(await verifier.verify(message)).toEqual({ ok: true });
    for (const n of [1, 2, 3]) {
      const url = `https://sns.us-east-1.amazonaws.com/SimpleNotificationService-${n}.pem`;
      fetch.mockImplementationOnce(async () => new Response(signer.certPem, { status: 200 }));
      await verifier.verify(envelope(signer.sign(snsNotification({ n }, { SigningCertURL: url }))));
    }
    expect(verifier.cachedCount()).toBe(2);
  });

  it('refuses a certificate outside its validity period', async () => {
    const verifier = createSnsVerifier({ fetch: signer.fetch, now: () => Date.parse('2000-01-01T00:00:00Z') });
    expect(await verifier.verify(envelope(signer.sign(snsNotification({ a: 1 }))))).toMatchObject({ ok: false, status: 401 });
  });
});

describe('SNS envelope', () => {
  it('requires SubscribeURL and Token on confirmations and a known Type', () => {
    expect(parseSnsEnvelope({ ...createSnsSigner().sign(snsSubscriptionConfirmation()), Token: undefined }).ok).toBe(false);
    expect(parseSnsEnvelope({ ...createSnsSigner().sign(snsNotification({})), Type: 'Bogus' }).ok).toBe(false);
    expect(parseSnsEnvelope({ hello: 1 })).toMatchObject({ ok: false });
  });
});
