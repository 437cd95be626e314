// @kycvs/verifier: what a host backend needs to trust a KYC-VS answer.
export {
  STATUS_TOKEN_TYPE,
  StatusTokenError,
  isCanonicalCompactJws,
  verifyStatusToken,
  type StatusTokenClaims,
  type StatusTokenErrorCode,
  type VaccinationStatus,
  type VerifiedStatus,
  type VerifyStatusTokenOptions,
} from './verify-status-token.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  WebhookError,
  verifyWebhook,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  type WebhookErrorCode,
  type WebhookHeaders,
} from './webhooks.js';
