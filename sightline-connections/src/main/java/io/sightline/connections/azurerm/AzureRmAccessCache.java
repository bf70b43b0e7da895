package io.sightline.connections.azurerm;

import io.sightline.azure.OidcIssuer;
import io.sightline.connections.ConnectionSpec;
import io.sightline.kubernetes.EgressPolicy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps one {@link AzureRmAccess} per connection version, so its ARM token and the clusters'
 * endpoints (cached 5 minutes) and — when the connection opts in — its Entra token cache are reused
 * between tasks. The caller's key names the version (e.g. id and update time): an updated
 * connection gets a new entry. At most 64 entries, least recently used dropped.
 */
public final class AzureRmAccessCache {
  private static final int MAX = 64;

  private final EgressPolicy egress;
  private final OidcIssuer oidcIssuer;
  private final Duration deadline;
  private final Map<String, AzureRmAccess> entries =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, AzureRmAccess> eldest) {
          return size() > MAX;
        }
      };

  public AzureRmAccessCache(EgressPolicy egress, OidcIssuer oidcIssuer, Duration deadline) {
    this.egress = egress;
    this.oidcIssuer = oidcIssuer;
    this.deadline = deadline;
  }

  /** The access of {@code spec} at version {@code key}, built on first use. */
  public AzureRmAccess get(String key, ConnectionSpec spec) {
    synchronized (entries) {
      AzureRmAccess a = entries.get(key);
      if (a == null) {
        a = AzureRmAccess.open(spec, egress, oidcIssuer, deadline);
        entries.put(key, a);
      }
      return a;
    }
  }

  /** A fresh access with its own deadline (verification with {@code ?timeout=}), not cached. */
  public AzureRmAccess fresh(ConnectionSpec spec, Duration callDeadline) {
    return AzureRmAccess.open(spec, egress, oidcIssuer, callDeadline);
  }

  public OidcIssuer oidcIssuer() {
    return oidcIssuer;
  }
}
