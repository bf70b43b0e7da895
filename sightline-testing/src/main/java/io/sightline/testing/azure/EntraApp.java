package io.sightline.testing.azure;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * An application registration (service principal) in the emulated Entra tenant: its client id, the
 * object id its tokens carry as {@code oid}, and the credentials it accepts (client secrets,
 * certificates, federated credentials). A public client ({@link Builder#publicClient()}) needs no
 * credential and may use the device code, password and authorization code grants.
 */
public final class EntraApp {
  private final String tenantId;
  private final String clientId;
  private final String objectId;
  private final String displayName;
  private final boolean publicClient;
  private final List<String> secrets;
  private final List<X509Certificate> certificates;
  private final List<FederatedCredential> federatedCredentials;
  private final List<String> groups;

  private EntraApp(Builder b) {
    this.tenantId = Objects.requireNonNull(b.tenantId, "tenantId");
    this.clientId = Objects.requireNonNull(b.clientId, "clientId");
    this.objectId = b.objectId != null ? b.objectId : UUID.randomUUID().toString();
    this.displayName = b.displayName != null ? b.displayName : "app-" + clientId.substring(0, 8);
    this.publicClient = b.publicClient;
    this.secrets = List.copyOf(b.secrets);
    this.certificates = List.copyOf(b.certificates);
    this.federatedCredentials = List.copyOf(b.federatedCredentials);
    this.groups = List.copyOf(b.groups);
  }

  /** Starts an application registered in {@code tenantId} under {@code clientId}. */
  public static Builder builder(String tenantId, String clientId) {
    return new Builder(tenantId, clientId);
  }

  public String tenantId() {
    return tenantId;
  }

  public String clientId() {
    return clientId;
  }

  /** The service principal's object id: the {@code oid} of its application tokens. */
  public String objectId() {
    return objectId;
  }

  public String displayName() {
    return displayName;
  }

  public boolean isPublicClient() {
    return publicClient;
  }

  public List<String> secrets() {
    return secrets;
  }

  public List<X509Certificate> certificates() {
    return certificates;
  }

  public List<FederatedCredential> federatedCredentials() {
    return federatedCredentials;
  }

  public List<String> groups() {
    return groups;
  }

  /** Builds an {@link EntraApp}. */
  public static final class Builder {
    private final String tenantId;
    private final String clientId;
    private String objectId;
    private String displayName;
    private boolean publicClient;
    private final List<String> secrets = new ArrayList<>();
    private final List<X509Certificate> certificates = new ArrayList<>();
    private final List<FederatedCredential> federatedCredentials = new ArrayList<>();
    private final List<String> groups = new ArrayList<>();

    private Builder(String tenantId, String clientId) {
      this.tenantId = tenantId;
      this.clientId = clientId;
    }

    public Builder objectId(String objectId) {
      this.objectId = objectId;
      return this;
    }

    public Builder displayName(String displayName) {
      this.displayName = displayName;
      return this;
    }

    /** Allows public-client flows (device code, password, authorization code without secret). */
    public Builder publicClient() {
      this.publicClient = true;
      return this;
    }

    /** Adds a client secret the token endpoint accepts. */
    public Builder secret(String secret) {
      secrets.add(Objects.requireNonNull(secret));
      return this;
    }

    /** Adds a certificate whose key may sign client assertions ({@code x5t}/{@code x5t#S256}). */
    public Builder certificate(X509Certificate certificate) {
      certificates.add(Objects.requireNonNull(certificate));
      return this;
    }

    /** Adds a federated identity credential (workload identity federation). */
    public Builder federatedCredential(FederatedCredential credential) {
      federatedCredentials.add(Objects.requireNonNull(credential));
      return this;
    }

    /** Group object ids placed in the {@code groups} claim of the application's tokens. */
    public Builder groups(String... groupIds) {
      groups.addAll(List.of(groupIds));
      return this;
    }

    public EntraApp build() {
      return new EntraApp(this);
    }
  }
}
