package io.sightline.azure.internal;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import io.sightline.azure.AccessToken;
import io.sightline.azure.AzureTokenSource;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An azure-identity {@link TokenCredential} behind a hard deadline: the call runs on a daemon
 * thread, and the caller gets ENTRA_AUTH_FAILED when the deadline passes, whatever the credential
 * is doing (a stalled token endpoint, a device code nobody enters).
 */
public final class IdentityTokenSource implements AzureTokenSource {
  private static final Logger log = LoggerFactory.getLogger(IdentityTokenSource.class);

  private static final ExecutorService CALLS =
      Executors.newCachedThreadPool(
          new ThreadFactory() {
            private final AtomicInteger n = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
              Thread t = new Thread(r, "sightline-entra-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            }
          });

  private final java.util.function.Supplier<TokenCredential> credentials;
  private final boolean shared;
  private final java.util.Map<String, AccessToken> cache =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final String scheme;
  private final String who;
  private final String endpoint;

  /**
   * @param credentials gives the credential for each request: the same one (MSAL's cache is shared)
   *     or a new one (every request goes to Entra)
   */
  public IdentityTokenSource(
      java.util.function.Supplier<TokenCredential> credentials,
      boolean shared,
      String scheme,
      String who,
      String endpoint) {
    this.credentials = credentials;
    this.shared = shared;
    this.scheme = scheme;
    this.who = who;
    this.endpoint = endpoint;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public AccessToken token(String scope, Duration deadline) {
    if (shared) {
      AccessToken hit = cache.get(scope);
      if (hit != null
          && java.time.Instant.now().plus(Duration.ofMinutes(5)).isBefore(hit.expiresAt())) {
        return hit;
      }
    }
    TokenRequestContext ctx = new TokenRequestContext().addScopes(scope);
    TokenCredential credential = credentials.get();
    Future<com.azure.core.credential.AccessToken> call =
        CALLS.submit(() -> credential.getTokenSync(ctx));
    try {
      com.azure.core.credential.AccessToken t =
          call.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
      AccessToken token =
          new AccessToken(SecretValue.of(t.getToken()), t.getExpiresAt().toInstant());
      if (shared) {
        cache.put(scope, token);
      }
      return token;
    } catch (TimeoutException e) {
      call.cancel(true);
      throw EntraErrors.failed(
          "Entra ID sign-in ("
              + scheme
              + (who == null ? "" : ", " + who)
              + ") failed: "
              + endpoint
              + " did not answer within "
              + deadline.toMillis()
              + " ms — check that the authority host is reachable from the server",
          null);
    } catch (ExecutionException e) {
      SightlineException mapped = EntraErrors.map(e.getCause(), scheme, who);
      log.debug("Entra sign-in failed ({}): {}", scheme, mapped.getMessage(), e.getCause());
      throw mapped;
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw EntraErrors.failed("Entra ID sign-in (" + scheme + ") was interrupted", e);
    }
  }
}
