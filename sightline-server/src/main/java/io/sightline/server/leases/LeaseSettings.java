package io.sightline.server.leases;

import java.time.Duration;
import java.util.Objects;

/**
 * Server-wide lease policy.
 *
 * @param maxTtl the longest TTL one token gets ({@code sightline.lease.max-ttl}, default 1h); a
 *     longer request is capped, with a warning
 * @param maxLifetime the longest a lease lives, renewals included ({@code
 *     sightline.lease.max-lifetime}, default 12h)
 * @param allowStatic whether connections without a deployer may hand out their stored credential
 *     ({@code sightline.lease.allow-static}, default true)
 * @param reapInterval how often the reaper runs ({@code sightline.lease.reap-interval}, default
 *     30s)
 */
public record LeaseSettings(
    Duration maxTtl, Duration maxLifetime, boolean allowStatic, Duration reapInterval) {

  /** The TTL of a lease that names none. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);

  /** Kubernetes issues service-account tokens for at least this long. */
  public static final Duration KUBERNETES_MIN_TTL = Duration.ofSeconds(600);

  public LeaseSettings {
    Objects.requireNonNull(maxTtl, "maxTtl");
    Objects.requireNonNull(maxLifetime, "maxLifetime");
    Objects.requireNonNull(reapInterval, "reapInterval");
  }

  public static LeaseSettings defaults() {
    return new LeaseSettings(
        Duration.ofHours(1), Duration.ofHours(12), true, Duration.ofSeconds(30));
  }
}
