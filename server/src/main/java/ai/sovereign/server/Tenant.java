package ai.sovereign.server;

import ai.sovereign.policy.DataPolicy;
import ai.sovereign.policy.PiiPolicy;

/**
 * The caller of a request, once authenticated: where its data may go and what personal data it may send.
 *
 * @param keyId a short, non-secret name of the key used ("" when none), for the ledger
 */
record Tenant(String id, String keyId, DataPolicy data, PiiPolicy pii) {}
