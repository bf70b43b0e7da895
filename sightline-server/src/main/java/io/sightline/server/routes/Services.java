package io.sightline.server.routes;

import io.sightline.azure.OidcIssuer;
import io.sightline.kubernetes.ClusterProber;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.ProbeRateLimiter;
import io.sightline.server.agents.ConnectionOperations;
import io.sightline.server.internal.AuditCheckpoints;
import io.sightline.server.internal.MasterKeyRotation;
import io.sightline.store.Store;
import java.time.Clock;
import java.time.Duration;

/**
 * What the route handlers need from the running server.
 *
 * @param oidcIssuer the server as an OIDC issuer: signs WorkloadIdentityFederation assertions
 * @param operations where a connection's cluster operations run (here, or on an agent pool)
 */
public record Services(
    Store store,
    Clock clock,
    Duration tokenTtl,
    MasterKeyRotation rotation,
    AuditCheckpoints checkpoints,
    EgressPolicy egress,
    ClusterProber prober,
    ProbeRateLimiter probeLimiter,
    OidcIssuer oidcIssuer,
    ConnectionOperations operations) {}
