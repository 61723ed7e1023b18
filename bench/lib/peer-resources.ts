// Resource indicators the oidc-provider peer knows; shared by the peer process and the driver.
export const JWT_RESOURCE = 'https://api.example.com/jwt';
// Tokens for this resource are opaque, so the in-process adapter stores them and introspection finds them
// (oidc-provider does not persist JWT access tokens, so it cannot introspect those).
export const OPAQUE_RESOURCE = 'https://api.example.com/opaque';
