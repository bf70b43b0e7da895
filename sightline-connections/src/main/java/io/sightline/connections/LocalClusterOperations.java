package io.sightline.connections;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.api.probe.ProbeResult;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ClusterProber;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.EgressSocketFactory;
import io.sightline.kubernetes.KubernetesClients;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import io.sightline.kubernetes.mint.TokenMinter;
import io.sightline.kubernetes.provision.DeprovisionResult;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cluster operations dialled from this process, through the egress rules: what the server does for
 * connections without {@code via}, and what an agent does for the jobs it takes. Minting and
 * revoking reuse one open client per cluster credential (a new fabric8 client per lease paid for a
 * new HTTP client and TLS handshake every time); the least recently used beyond 64 are closed.
 */
public final class LocalClusterOperations implements ClusterOperations, AutoCloseable {
  private static final KubernetesClients.Settings CLIENT =
      new KubernetesClients.Settings(Duration.ofSeconds(5), Duration.ofSeconds(10), 0, null, null);
  private static final int MAX_CLIENTS = 64;

  private final EgressPolicy egress;
  private final ClusterProber prober;
  private final boolean ownsProber;
  private final Provisioning provisioning;
  private final Map<String, KubernetesClient> clients =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, KubernetesClient> eldest) {
          if (size() > MAX_CLIENTS) {
            eldest.getValue().close();
            return true;
          }
          return false;
        }
      };

  /** With its own prober (closed with this). */
  public LocalClusterOperations(EgressPolicy egress) {
    this(egress, new ClusterProber(egress), true);
  }

  /** Sharing {@code prober} (not closed with this). */
  public LocalClusterOperations(EgressPolicy egress, ClusterProber prober) {
    this(egress, prober, false);
  }

  private LocalClusterOperations(EgressPolicy egress, ClusterProber prober, boolean owns) {
    this.egress = egress;
    this.prober = prober;
    this.ownsProber = owns;
    this.provisioning = new Provisioning(egress);
  }

  @Override
  public ProbeResult probe(ClusterAccess access, ProbeOptions options) {
    return prober.probe(access, options);
  }

  @Override
  public MintedToken mint(ClusterAccess access, MintRequest request) {
    return new TokenMinter(client(access)).mint(request);
  }

  @Override
  public boolean revoke(ClusterAccess access, String leaseId, String homeNamespace) {
    return new TokenMinter(client(access)).revoke(leaseId, homeNamespace);
  }

  @Override
  public ProvisionResult provision(ClusterAccess admin, ProvisionSpec spec) {
    return provisioning.provision(admin, spec);
  }

  @Override
  public DeprovisionResult deprovision(ClusterAccess access, ProvisionSpec spec) {
    return provisioning.deprovision(access, spec);
  }

  private KubernetesClient client(ClusterAccess access) {
    String key = clientKey(access);
    synchronized (clients) {
      KubernetesClient c = clients.get(key);
      if (c == null) {
        c = KubernetesClients.create(access, EgressSocketFactory.of(egress), CLIENT);
        clients.put(key, c);
      }
      return c;
    }
  }

  private static String clientKey(ClusterAccess a) {
    StringBuilder b = new StringBuilder();
    b.append(a.server()).append('\n').append(a.caPem()).append('\n');
    b.append(a.insecureSkipTlsVerify()).append('\n').append(a.tlsServerName()).append('\n');
    b.append(a.bearerToken() == null ? "" : a.bearerToken().reveal()).append('\n');
    b.append(a.clientCertificatePem()).append('\n');
    b.append(a.clientKeyPem() == null ? "" : a.clientKeyPem().reveal()).append('\n');
    b.append(a.username()).append('\n');
    b.append(a.password() == null ? "" : a.password().reveal());
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(b.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    synchronized (clients) {
      clients.values().forEach(KubernetesClient::close);
      clients.clear();
    }
    if (ownsProber) {
      prober.close();
    }
  }
}
