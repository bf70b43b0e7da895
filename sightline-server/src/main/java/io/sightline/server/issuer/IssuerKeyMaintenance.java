package io.sightline.server.issuer;

import io.sightline.azure.KeyStorage;
import io.sightline.azure.OidcIssuer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the issuer's keys on schedule: every minute each replica asks {@link OidcIssuer#maintain}
 * whether something is due (staging the next key, letting a staged key sign, dropping a key whose
 * overlap has passed); the store's lock makes one replica do it.
 */
public final class IssuerKeyMaintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IssuerKeyMaintenance.class);
  static final Duration INTERVAL = Duration.ofMinutes(1);

  private final OidcIssuer issuer;
  private final OidcSettings settings;
  private ScheduledExecutorService timer;

  public IssuerKeyMaintenance(OidcIssuer issuer, OidcSettings settings) {
    this.issuer = issuer;
    this.settings = settings;
  }

  public synchronized void start() {
    if (timer != null) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sightline-issuer-keys");
              t.setDaemon(true);
              return t;
            });
    // At once (a key whose time came while no replica ran), then every minute.
    timer.scheduleWithFixedDelay(this::runQuietly, 0, INTERVAL.toSeconds(), TimeUnit.SECONDS);
  }

  private void runQuietly() {
    try {
      maintainNow();
    } catch (RuntimeException e) {
      log.warn("OIDC issuer key maintenance failed (retried in a minute): {}", e.toString());
    }
  }

  /** Does what is due now; returns what changed. */
  public List<KeyStorage.Change> maintainNow() {
    List<KeyStorage.Change> changes = issuer.maintain(settings.policy());
    for (KeyStorage.Change c : changes) {
      switch (c.action()) {
        case "staged" ->
            log.warn(
                "OIDC issuer: published the next signing key {}; it signs in {}. If the issuer"
                    + " documents are hosted as static files, run `sightline issuer export DIR`"
                    + " and publish them now",
                c.keyId(),
                settings.publishAhead());
        case "activated" -> log.info("OIDC issuer: key {} signs from now on", c.keyId());
        default -> log.info("OIDC issuer: key {} {}", c.keyId(), c.action());
      }
    }
    return changes;
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }
}
