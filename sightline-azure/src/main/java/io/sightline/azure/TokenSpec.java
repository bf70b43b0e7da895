package io.sightline.azure;

import io.sightline.core.SecretValue;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * How an identity signs in to Entra ID: one record per scheme, built into an {@link
 * AzureTokenSource} by {@link AzureTokenSources#create}.
 */
public sealed interface TokenSpec {

  /** The scheme's name, for messages. */
  String scheme();

  /** A service principal with a client secret. */
  record ClientSecret(String tenantId, String clientId, SecretValue secret) implements TokenSpec {
    public ClientSecret {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String scheme() {
      return "ServicePrincipal (secret)";
    }
  }

  /** A service principal with a PEM holding the private key (PKCS#8) and the certificate. */
  record ClientCertificatePem(String tenantId, String clientId, SecretValue pem)
      implements TokenSpec {
    public ClientCertificatePem {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(pem, "pem");
    }

    @Override
    public String scheme() {
      return "ServicePrincipal (certificate)";
    }
  }

  /** A service principal with a PKCS#12 (PFX) file's bytes and its password. */
  record ClientCertificatePfx(String tenantId, String clientId, byte[] pfx, SecretValue password)
      implements TokenSpec {
    public ClientCertificatePfx {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(pfx, "pfx");
      pfx = pfx.clone();
    }

    @Override
    public byte[] pfx() {
      return pfx.clone();
    }

    @Override
    public String scheme() {
      return "ServicePrincipal (certificate)";
    }

    @Override
    public String toString() {
      return "ClientCertificatePfx[tenantId=" + tenantId + ", clientId=" + clientId + "]";
    }
  }

  /**
   * Workload identity federation: a signed assertion from a trusted issuer (Sightline's own {@link
   * OidcIssuer}, or a CI system) exchanged for an Entra token. The supplier is asked on every token
   * request.
   */
  record ClientAssertion(String tenantId, String clientId, Supplier<String> assertion)
      implements TokenSpec {
    public ClientAssertion {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(assertion, "assertion");
    }

    @Override
    public String scheme() {
      return "WorkloadIdentityFederation";
    }
  }

  /** The host's managed identity: system-assigned ({@code clientId} null) or user-assigned. */
  record ManagedIdentity(String clientId) implements TokenSpec {
    @Override
    public String scheme() {
      return "ManagedServiceIdentity";
    }
  }

  /** AKS workload identity: a projected service-account token file exchanged at Entra. */
  record WorkloadIdentity(String tenantId, String clientId, Path tokenFile) implements TokenSpec {
    public WorkloadIdentity {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(tokenFile, "tokenFile");
    }

    @Override
    public String scheme() {
      return "WorkloadIdentity";
    }
  }

  /** Whoever is signed in to the Azure CLI ({@code az}) on this machine. */
  record AzureCli(String tenantId) implements TokenSpec {
    @Override
    public String scheme() {
      return "AzureCli";
    }
  }

  /**
   * An Azure Pipelines service connection with workload identity federation: the job's {@code
   * SYSTEM_OIDCREQUESTURI} and {@code System.AccessToken} fetch an ID token that Entra exchanges.
   */
  record AzurePipelines(
      String tenantId,
      String clientId,
      String serviceConnectionId,
      SecretValue systemAccessToken,
      String oidcRequestUri)
      implements TokenSpec {
    public AzurePipelines {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(serviceConnectionId, "serviceConnectionId");
      Objects.requireNonNull(systemAccessToken, "systemAccessToken");
      Objects.requireNonNull(oidcRequestUri, "oidcRequestUri");
    }

    @Override
    public String scheme() {
      return "AzurePipelines";
    }
  }

  /** A person signs in on another device; {@code prompt} receives the message to show them. */
  record DeviceCode(String tenantId, String clientId, Consumer<String> prompt)
      implements TokenSpec {
    public DeviceCode {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(prompt, "prompt");
    }

    @Override
    public String scheme() {
      return "DeviceCode";
    }
  }

  /** Resource-owner password (ROPC): a user without MFA, through a public client application. */
  record UsernamePassword(String tenantId, String clientId, String username, SecretValue password)
      implements TokenSpec {
    public UsernamePassword {
      Objects.requireNonNull(tenantId, "tenantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
    }

    @Override
    public String scheme() {
      return "UsernamePassword";
    }
  }
}
