package io.sightline.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Context;
import io.sightline.azure.AzureEnvironment;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * azure-core's {@link HttpClient} for azure-identity: the JDK HttpClient (not Netty) with the
 * environment's TLS trust, no proxy, and the environment's egress check on every request.
 */
public final class AzureHttp {
  private AzureHttp() {}

  /** How long an abandoned, stalled request may keep its thread (callers give up much earlier). */
  static final Duration ABANDON_AFTER = Duration.ofSeconds(60);

  public static java.net.http.HttpClient jdk(AzureEnvironment env) {
    return java.net.http.HttpClient.newBuilder()
        .sslContext(env.sslContext())
        .proxy(java.net.http.HttpClient.Builder.NO_PROXY)
        .connectTimeout(env.connectTimeout())
        .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
        .build();
  }

  public static HttpClient forIdentity(AzureEnvironment env) {
    HttpClient jdk =
        new JdkHttpClientBuilder(
                java.net.http.HttpClient.newBuilder()
                    .sslContext(env.sslContext())
                    .proxy(java.net.http.HttpClient.Builder.NO_PROXY))
            .connectionTimeout(env.connectTimeout())
            .responseTimeout(ABANDON_AFTER)
            .readTimeout(ABANDON_AFTER)
            .build();
    return filtered(env, jdk);
  }

  /** {@code inner} behind the environment's egress predicate, checked before anything is sent. */
  public static HttpClient filtered(AzureEnvironment env, HttpClient inner) {
    return new HttpClient() {
      @Override
      public Mono<HttpResponse> send(HttpRequest request) {
        return send(request, Context.NONE);
      }

      @Override
      public Mono<HttpResponse> send(HttpRequest request, Context context) {
        String refused = refused(env, request);
        return refused != null
            ? Mono.error(new EgressDeniedException(refused))
            : inner.send(request, context);
      }

      @Override
      public HttpResponse sendSync(HttpRequest request, Context context) {
        String refused = refused(env, request);
        if (refused != null) {
          throw new EgressDeniedException(refused);
        }
        return inner.sendSync(request, context);
      }
    };
  }

  private static String refused(AzureEnvironment env, HttpRequest request) {
    try {
      URI uri = request.getUrl().toURI();
      return env.allows(uri) ? null : uri.getScheme() + "://" + uri.getAuthority();
    } catch (URISyntaxException e) {
      return String.valueOf(request.getUrl());
    }
  }

  /**
   * azure-core's exponential retry of transient failures, except for an egress refusal: a request
   * the egress rules refuse can never succeed, so it fails at once instead of after back-off.
   */
  public static com.azure.core.http.policy.RetryPolicy retryPolicy(int maxRetries) {
    com.azure.core.http.policy.RetryStrategy base =
        new com.azure.core.http.policy.ExponentialBackoff(
            new com.azure.core.http.policy.ExponentialBackoffOptions().setMaxRetries(maxRetries));
    return new com.azure.core.http.policy.RetryPolicy(
        new com.azure.core.http.policy.RetryStrategy() {
          @Override
          public int getMaxRetries() {
            return base.getMaxRetries();
          }

          @Override
          public Duration calculateRetryDelay(int retryAttempts) {
            return base.calculateRetryDelay(retryAttempts);
          }

          @Override
          public Duration calculateRetryDelay(
              com.azure.core.http.policy.RequestRetryCondition condition) {
            return base.calculateRetryDelay(condition);
          }

          @Override
          public boolean shouldRetry(HttpResponse response) {
            return base.shouldRetry(response);
          }

          @Override
          public boolean shouldRetryException(Throwable t) {
            return !isEgressDenial(t) && base.shouldRetryException(t);
          }

          @Override
          public boolean shouldRetryCondition(
              com.azure.core.http.policy.RequestRetryCondition condition) {
            return !isEgressDenial(condition.getThrowable())
                && base.shouldRetryCondition(condition);
          }
        });
  }

  private static boolean isEgressDenial(Throwable t) {
    for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof EgressDeniedException
          || c instanceof io.sightline.kubernetes.EgressDeniedException) {
        return true;
      }
    }
    return false;
  }

  /** A request refused by the egress rules before any byte was sent. */
  public static final class EgressDeniedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EgressDeniedException(String target) {
      super("egress to " + target + " is not allowed");
    }

    /**
     * A connection the egress socket factory refused: not an I/O error, so the HTTP pipeline does
     * not retry what can never succeed.
     */
    EgressDeniedException(io.sightline.kubernetes.EgressDeniedException refused) {
      super(refused.getMessage());
    }
  }
}
