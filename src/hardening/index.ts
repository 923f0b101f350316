export { checkJsonLimits, formatJsonPath, type JsonLimits, type JsonLimitViolation } from './jsonLimits';
export { isUnsafeKey } from './safeJson';
export { createRateLimiter, rateLimitKey, type RateLimiterDeps } from './rateLimiter';
export { securityHeaders, type SecurityHeadersOptions } from './securityHeaders';
