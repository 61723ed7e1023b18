// Every console URL in one place, so pages, redirects and tests agree on them.
import type { Environment } from '../../shared/domain.js';

const account = (accountId: string) => `/console/accounts/${accountId}`;
const key = (accountId: string, keyId: string) => `${account(accountId)}/keys/${keyId}`;
const adminToken = (accountId: string, tokenId: string) => `${account(accountId)}/admin-tokens/${tokenId}`;
const webhooks = (accountId: string) => `${account(accountId)}/webhooks`;
const webhook = (accountId: string, webhookId: string) => `${webhooks(accountId)}/${webhookId}`;

export type KeyAction = 'regenerate' | 'delete' | 'revoke-sessions' | 'disable' | 'enable' | 'edit' | 'extend' | 'retire-previous';

export const paths = {
  home: '/console',
  signIn: '/console/sign-in',
  signOut: '/console/sign-out',
  accounts: '/console/accounts',
  signingKeys: '/console/signing-keys',
  signingKeysRotate: (environment: Environment) => `/console/signing-keys/${environment}/rotate`,
  account,
  environment: (accountId: string, environment: Environment) => `${account(accountId)}/${environment}`,
  keys: (accountId: string) => `${account(accountId)}/keys`,
  key,
  keyAction: (accountId: string, keyId: string, action: KeyAction) => `${key(accountId, keyId)}/${action}`,
  keySecret: (accountId: string, keyId: string) => `${key(accountId, keyId)}/secret`,
  operations: (accountId: string) => `${account(accountId)}/operations`,
  adminTokens: (accountId: string) => `${account(accountId)}/admin-tokens`,
  adminTokenShown: (accountId: string, tokenId: string) => `${adminToken(accountId, tokenId)}/token`,
  adminTokenRevoke: (accountId: string, tokenId: string) => `${adminToken(accountId, tokenId)}/revoke`,
  webhooks,
  webhookSecret: (accountId: string, webhookId: string) => `${webhook(accountId, webhookId)}/secret`,
  webhookDelete: (accountId: string, webhookId: string) => `${webhook(accountId, webhookId)}/delete`,
  webhookDeliveries: (accountId: string, webhookId: string) => `${webhook(accountId, webhookId)}/deliveries`,
};
