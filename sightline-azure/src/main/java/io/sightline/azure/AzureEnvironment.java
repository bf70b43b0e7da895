package io.sightline.azure;

import io.sightline.azure.internal.EgressOkHttp;
import io.sightline.kubernetes.EgressPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/**
 * Where and how Sightline talks to Azure: the cloud's endpoints, the TLS trust (default or a CA
 * bundle), and an egress check every outgoing Azure request passes (tests allow only 127.0.0.1).
 *
 * <p>A {@linkplain AzureCloud#isCustom() custom cloud}'s endpoints are user-supplied: its calls go
 * through Sightline's checked OkHttp transport, whose sockets check the {@link #egressPolicy()} on
 * the resolved address at connect time (link-local and metadata addresses are always refused). The
 * public clouds use azure-identity's JDK client; the server's own managed-identity call is not
 * user-supplied and is never checked.
 */
public final class AzureEnvironment {
  private final AzureCloud cloud;
  private final SSLContext sslContext;
  private final Predicate<URI> egress;
  private final Duration connectTimeout;
  private final EgressPolicy egressPolicy;
  private volatile EgressOkHttp checked;

  private AzureEnvironment(Builder b) {
    this.cloud = b.cloud;
    this.sslContext = b.sslContext == null ? AzureTls.defaults() : b.sslContext;
    this.egress = b.egress;
    this.connectTimeout = b.connectTimeout;
    this.egressPolicy = b.egressPolicy;
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

  /** The egress rules calls to a custom cloud obey at connect time. */
  public EgressPolicy egressPolicy() {
    return egressPolicy;
  }

  /** Whether the endpoints are user-supplied, so calls go through the checked transport. */
  public boolean isCustom() {
    return cloud.isCustom();
  }

  /** The checked transport of this environment (one connection pool per environment). */
  EgressOkHttp checkedTransport() {
    EgressOkHttp t = checked;
    if (t == null) {
      synchronized (this) {
        if (checked == null) {
          checked = new EgressOkHttp(this);
        }
        t = checked;
      }
    }
    return t;
  }

  public static final class Builder {
    private AzureCloud cloud = AzureCloud.AZURE_CLOUD;
    private SSLContext sslContext;
    private Predicate<URI> egress = u -> true;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private EgressPolicy egressPolicy = EgressPolicy.defaults();

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

    /**
     * The server's egress rules, checked on every connection to a custom cloud (default: only the
     * always-denied link-local and metadata ranges).
     */
    public Builder egressPolicy(EgressPolicy egressPolicy) {
      this.egressPolicy = Objects.requireNonNull(egressPolicy, "egressPolicy");
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
