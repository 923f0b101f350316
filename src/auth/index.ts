export { createAuthMiddleware, type AuthDeps, type AuthMiddleware } from './middleware';
export { MemoryReplayCache, type ReplayCache } from './replayCache';
export { createTokenVerifier, type TokenVerifier } from './verifier';
export { TrustedKeyStore } from './keyStore';
export { expectedAudiences, type EndpointKind } from './audience';
export { AuthError, type AuthFailureReason, type VerifiedClient } from './types';
export { JwkImportError } from './jwk';
