import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, isWebhookSecret, signWebhookMessage } from './webhook-signing.js';

const now = () => Math.floor(Date.now() / 1000);

describe('webhook secrets', () => {
  it('are whsec_ and the standard base64 of 32 random bytes, new every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateWebhookSecret));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(atob(secret.slice('whsec_'.length))).toHaveLength(32);
      expect(isWebhookSecret(secret)).toBe(true);
    }
  });
});

describe('webhook signatures', () => {
  it('verify with the standardwebhooks package, as a receiver checks them', async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: 'key.created', timestamp: new Date().toISOString(), data: { keyId: 'key_1', name: 'ünïcode ✓' } });
    const headers = await signWebhookMessage(secret, { id: 'msg_2a5Bq1', timestampSeconds: now(), body });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('fail verification when the body, the id, the timestamp or the secret differ', async () => {
    const secret = generateWebhookSecret();
    const body = '{"type":"key.deleted","data":{}}';
    const headers = { ...(await signWebhookMessage(secret, { id: 'msg_a', timestampSeconds: now(), body })) };
    const receiver = new Webhook(secret);
    expect(() => receiver.verify(body.replace('deleted', 'created'), headers)).toThrow(WebhookVerificationError);
    expect(() => receiver.verify(body, { ...headers, 'webhook-id': 'msg_b' })).toThrow(WebhookVerificationError);
    expect(() => receiver.verify(body, { ...headers, 'webhook-timestamp': String(now() - 1) })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('sign each attempt at its own time, with whole seconds', async () => {
    const secret = generateWebhookSecret();
    const first = await signWebhookMessage(secret, { id: 'msg_a', timestampSeconds: 1_800_000_000.9, body: '{}' });
    const retry = await signWebhookMessage(secret, { id: 'msg_a', timestampSeconds: 1_800_000_300, body: '{}' });
    expect(first['webhook-timestamp']).toBe('1800000000');
    expect(retry['webhook-timestamp']).toBe('1800000300');
    expect(retry['webhook-signature']).not.toBe(first['webhook-signature']);
    // The package signs the same bytes the same way (its verify adds only the clock check).
    expect(new Webhook(secret).sign('msg_a', new Date(1_800_000_000_000), '{}')).toBe(first['webhook-signature']);
  });

  it('refuse to sign with anything but a whsec_ secret', async () => {
    await expect(signWebhookMessage('not-a-secret', { id: 'msg_a', timestampSeconds: now(), body: '{}' })).rejects.toThrow(TypeError);
  });
});
