package io.sightline.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.okhttp.OkHttpClientFactory;
import io.sightline.kubernetes.internal.Pem;
import java.net.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dns;
import okhttp3.EventListener;
import okhttp3.OkHttpClient;
import okhttp3.internal.tls.OkHostnameVerifier;

/**
 * Builds fabric8 {@link KubernetesClient}s from a {@link ClusterAccess} only: never from {@code
 * ~/.kube/config}, {@code KUBECONFIG}, system properties, environment variables or the in-cluster
 * service-account token. Every client runs on OkHttp with an {@link EgressSocketFactory} and no
 * proxy.
 */
public final class KubernetesClients {
  /**
   * Idle connections one client keeps. OkHttp's default (5) is fewer than the server's concurrent
   * lease requests to one cluster over HTTP/1.1: connections beyond it were closed as soon as they
   * went idle between a lease's two calls, and the next call paid a new TLS handshake.
   */
  static final int MAX_IDLE_CONNECTIONS = 32;

  /**
   * How a client behaves on the wire.
   *
   * @param connectTimeout TCP connect timeout
   * @param requestTimeout per-request timeout (fabric8 sets OkHttp's read/write timeouts from it)
   * @param requestRetries fabric8's retry limit for failed requests (0 for probes)
   * @param eventListener an OkHttp event listener (timing), or null
   * @param dns name resolution, or null for the system resolver
   */
  public record Settings(
      Duration connectTimeout,
      Duration requestTimeout,
      int requestRetries,
      EventListener eventListener,
      Dns dns) {
    public Settings {
      Objects.requireNonNull(connectTimeout, "connectTimeout");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    /** 10 s connect and request timeouts, fabric8's default retries. */
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(10), Duration.ofSeconds(10), 10, null, null);
    }

    /** For a probe: no retries, every timeout bounded by {@code remaining}. */
    public static Settings probe(Duration remaining, EventListener listener, Dns dns) {
      return new Settings(remaining, remaining, 0, listener, dns);
    }
  }

  private KubernetesClients() {}

  /** A client with default settings whose connections obey {@code policy}. */
  public static KubernetesClient create(ClusterAccess access, EgressPolicy policy) {
    return create(access, EgressSocketFactory.of(policy), Settings.defaults());
  }

  /** A client whose sockets all come from {@code sockets}. */
  public static KubernetesClient create(
      ClusterAccess access, EgressSocketFactory sockets, Settings settings) {
    Objects.requireNonNull(sockets, "sockets");
    Config config = config(access, settings);
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new CheckedOkHttpFactory(access, sockets, settings))
        .build();
  }

  /**
   * The fabric8 configuration of {@code access}: {@link Config#empty()} plus explicit values, so
   * nothing is read from files, the environment or system properties.
   */
  public static Config config(ClusterAccess access, Settings settings) {
    ConfigBuilder b =
        new ConfigBuilder(Config.empty())
            .withAutoConfigure(false)
            .withMasterUrl(access.server())
            .withTrustCerts(access.insecureSkipTlsVerify())
            .withDisableHostnameVerification(access.insecureSkipTlsVerify())
            .withRequestRetryBackoffLimit(settings.requestRetries())
            .withRequestTimeout(millis(settings.requestTimeout()))
            .withConnectionTimeout(millis(settings.connectTimeout()))
            .withUserAgent("sightline")
            .withHttpProxy(null)
            .withHttpsProxy(null)
            .withNoProxy(new String[0]);
    if (access.namespace() != null) {
      b.withNamespace(access.namespace());
    }
    if (access.caPem() != null && !access.insecureSkipTlsVerify()) {
      b.withCaCertData(base64(access.caPem()));
    }
    if (access.bearerToken() != null) {
      b.withOauthToken(access.bearerToken().reveal());
    }
    if (access.clientCertificatePem() != null) {
      String key = access.clientKeyPem().reveal();
      b.withClientCertData(base64(access.clientCertificatePem()))
          .withClientKeyData(base64(key))
          .withClientKeyAlgo(Pem.keyAlgorithm(key));
    }
    if (access.username() != null) {
      b.withUsername(access.username()).withPassword(access.password().reveal());
    }
    return b.build();
  }

  private static int millis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** fabric8's OkHttp factory with Sightline's socket factory, no proxy, and optional timing. */
  private static final class CheckedOkHttpFactory extends OkHttpClientFactory {
    private final ClusterAccess access;
    private final EgressSocketFactory sockets;
    private final Settings settings;

    CheckedOkHttpFactory(ClusterAccess access, EgressSocketFactory sockets, Settings settings) {
      this.access = access;
      this.sockets = sockets;
      this.settings = settings;
    }

    @Override
    protected void additionalConfig(OkHttpClient.Builder builder) {
      builder
          .socketFactory(sockets)
          .proxy(Proxy.NO_PROXY)
          .followRedirects(false)
          .followSslRedirects(false)
          .retryOnConnectionFailure(false)
          .connectionPool(new ConnectionPool(MAX_IDLE_CONNECTIONS, 5, TimeUnit.MINUTES));
      if (settings.eventListener() != null) {
        builder.eventListener(settings.eventListener());
      }
      if (settings.dns() != null) {
        builder.dns(settings.dns());
      }
      String tlsName = access.tlsServerName();
      if (tlsName != null && !tlsName.isBlank() && !access.insecureSkipTlsVerify()) {
        // Verify the server certificate against tls-server-name instead of the URL's host.
        builder.hostnameVerifier(
            (host, session) -> OkHostnameVerifier.INSTANCE.verify(tlsName, session));
      }
    }
  }
}
