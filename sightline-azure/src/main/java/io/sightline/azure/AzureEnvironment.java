package io.sightline.azure;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/**
 * Where and how Sightline talks to Azure: the cloud's endpoints, the TLS trust (default or a CA
 * bundle), and an egress check every outgoing Azure request passes (user-supplied endpoints obey
 * the server's egress rules; tests allow only 127.0.0.1).
 */
public final class AzureEnvironment {
  private final AzureCloud cloud;
  private final SSLContext sslContext;
  private final Predicate<URI> egress;
  private final Duration connectTimeout;

  private AzureEnvironment(Builder b) {
    this.cloud = b.cloud;
    this.sslContext = b.sslContext == null ? AzureTls.defaults() : b.sslContext;
    this.egress = b.egress;
    this.connectTimeout = b.connectTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static AzureEnvironment of(AzureCloud cloud) {
    return builder().cloud(cloud).build();
  }

  public AzureCloud cloud() {
    return cloud;
  }

  public SSLContext sslContext() {
    return sslContext;
  }

  /** Whether a request to this URL may be sent. */
  public boolean allows(URI url) {
    return egress.test(url);
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public static final class Builder {
    private AzureCloud cloud = AzureCloud.AZURE_CLOUD;
    private SSLContext sslContext;
    private Predicate<URI> egress = u -> true;
    private Duration connectTimeout = Duration.ofSeconds(5);

    public Builder cloud(AzureCloud cloud) {
      this.cloud = Objects.requireNonNull(cloud, "cloud");
      return this;
    }

    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = sslContext;
      return this;
    }

    /** Trust only a CA bundle (PEM text). */
    public Builder caBundlePem(String pem) {
      this.sslContext = AzureTls.caBundlePem(pem);
      return this;
    }

    public Builder egress(Predicate<URI> egress) {
      this.egress = Objects.requireNonNull(egress, "egress");
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
      return this;
    }

    public AzureEnvironment build() {
      return new AzureEnvironment(this);
    }
  }
}
