package io.sightline.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.identity.AadCredentialBuilderBase;
import com.azure.identity.AzureCliCredentialBuilder;
import com.azure.identity.AzurePipelinesCredentialBuilder;
import com.azure.identity.ClientAssertionCredentialBuilder;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DeviceCodeCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.UsernamePasswordCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import io.sightline.azure.internal.AzureHttp;
import io.sightline.azure.internal.EntraErrors;
import io.sightline.azure.internal.IdentityTokenSource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Builds an {@link AzureTokenSource} from a {@link TokenSpec} on azure-identity: the environment's
 * authority host, instance discovery off (MSAL would otherwise ask login.microsoftonline.com about
 * any host it does not know), the JDK HTTP client with the environment's TLS trust and egress
 * check, and a hard deadline on every token request.
 */
public final class AzureTokenSources {
  private AzureTokenSources() {}

  /** Retries of transient failures (5xx, 429, I/O) inside the caller's deadline. */
  private static final int MAX_RETRY = 1;

  /** Whether tokens are reused between requests. */
  public enum TokenCache {
    /** Every request goes to Entra: no token is shared between tasks (the default). */
    NONE,
    /** A token is reused for its scope until 5 minutes before it expires. */
    SHARED
  }

  /** A token source that asks Entra for a fresh token on every request. */
  public static AzureTokenSource create(TokenSpec spec, AzureEnvironment env) {
    return create(spec, env, TokenCache.NONE);
  }

  public static AzureTokenSource create(TokenSpec spec, AzureEnvironment env, TokenCache cache) {
    java.net.URI authority = env.cloud().authorityHost();
    if (!(spec instanceof TokenSpec.ManagedIdentity)
        && !(spec instanceof TokenSpec.AzureCli)
        && !env.allows(authority)) {
      throw new io.sightline.core.SightlineException(
          io.sightline.api.probe.DiagnosisCode.EGRESS_DENIED.name(),
          502,
          "environment",
          "Entra ID sign-in ("
              + spec.scheme()
              + ") refused: egress to "
              + authority.getScheme()
              + "://"
              + authority.getAuthority()
              + " is not allowed by the server's egress rules",
          null,
          null);
    }
    com.azure.core.http.HttpClient http = httpClient(spec, env);
    Built first = build(spec, env, http);
    java.util.concurrent.atomic.AtomicReference<TokenCredential> unused =
        new java.util.concurrent.atomic.AtomicReference<>(first.credential());
    java.util.function.Supplier<TokenCredential> credentials =
        () -> {
          TokenCredential c = unused.getAndSet(null);
          return c != null ? c : build(spec, env, http).credential();
        };
    return new IdentityTokenSource(
        credentials,
        cache == TokenCache.SHARED,
        spec.scheme(),
        first.who(),
        env.cloud().authorityHostString());
  }

  /**
   * A custom cloud's endpoints are user-supplied: their token requests go through the checked
   * OkHttp transport (egress rules at connect time). The public clouds, and the server's own
   * managed identity or Azure CLI login (not user-supplied), use the JDK client.
   */
  static com.azure.core.http.HttpClient httpClient(TokenSpec spec, AzureEnvironment env) {
    boolean ownIdentity =
        spec instanceof TokenSpec.ManagedIdentity || spec instanceof TokenSpec.AzureCli;
    if (env.isCustom() && !ownIdentity) {
      return AzureHttp.filtered(env, env.checkedTransport().azureClient());
    }
    return AzureHttp.forIdentity(env);
  }

  private record Built(TokenCredential credential, String who) {}

  private static Built build(
      TokenSpec spec, AzureEnvironment env, com.azure.core.http.HttpClient http) {
    TokenCredential credential;
    String who;
    if (spec instanceof TokenSpec.ClientSecret s) {
      credential =
          aad(new ClientSecretCredentialBuilder(), env, http, s.tenantId(), s.clientId())
              .clientSecret(s.secret().reveal())
              .build();
      who = client(s.clientId(), s.tenantId());
    } else if (spec instanceof TokenSpec.ClientCertificatePem s) {
      String pem = s.pem().reveal();
      if (!pem.contains("PRIVATE KEY-----")) {
        throw EntraErrors.failed(
            "Entra ID sign-in ("
                + spec.scheme()
                + ") failed: the certificate PEM holds no private key — give one PEM with the"
                + " private key (PKCS#8) and the certificate",
            null);
      }
      if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
        throw EntraErrors.failed(
            "Entra ID sign-in ("
                + spec.scheme()
                + ") failed: the PEM holds no certificate — give the private key and the"
                + " certificate in one PEM",
            null);
      }
      credential =
          aad(new ClientCertificateCredentialBuilder(), env, http, s.tenantId(), s.clientId())
              .pemCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
              .build();
      who = client(s.clientId(), s.tenantId());
    } else if (spec instanceof TokenSpec.ClientCertificatePfx s) {
      ClientCertificateCredentialBuilder b =
          aad(new ClientCertificateCredentialBuilder(), env, http, s.tenantId(), s.clientId())
              .pfxCertificate(new ByteArrayInputStream(s.pfx()));
      if (s.password() != null) {
        b.clientCertificatePassword(s.password().reveal());
      }
      credential = b.build();
      who = client(s.clientId(), s.tenantId());
    } else if (spec instanceof TokenSpec.ClientAssertion s) {
      credential =
          aad(new ClientAssertionCredentialBuilder(), env, http, s.tenantId(), s.clientId())
              .clientAssertion(s.assertion())
              .build();
      who = client(s.clientId(), s.tenantId());
    } else if (spec instanceof TokenSpec.ManagedIdentity s) {
      ManagedIdentityCredentialBuilder b =
          new ManagedIdentityCredentialBuilder().httpClient(http).maxRetry(MAX_RETRY);
      if (s.clientId() != null) {
        b.clientId(s.clientId());
      }
      credential = b.build();
      who = s.clientId() == null ? "system-assigned" : "client " + s.clientId();
    } else if (spec instanceof TokenSpec.WorkloadIdentity s) {
      credential =
          aad(new WorkloadIdentityCredentialBuilder(), env, http, s.tenantId(), s.clientId())
              .tokenFilePath(s.tokenFile().toString())
              .build();
      who = client(s.clientId(), s.tenantId());
    } else if (spec instanceof TokenSpec.AzureCli s) {
      AzureCliCredentialBuilder b = new AzureCliCredentialBuilder();
      if (s.tenantId() != null) {
        b.tenantId(s.tenantId());
      }
      credential = b.build();
      who = s.tenantId() == null ? null : "tenant " + s.tenantId();
    } else if (spec instanceof TokenSpec.AzurePipelines s) {
      // configuration(...) resets the authority host from AZURE_AUTHORITY_HOST: it comes first.
      AzurePipelinesCredentialBuilder b =
          new AzurePipelinesCredentialBuilder()
              .configuration(
                  new ConfigurationBuilder(
                          source -> Map.of(),
                          source -> Map.of(),
                          source -> Map.of("SYSTEM_OIDCREQUESTURI", s.oidcRequestUri()))
                      .build());
      credential =
          aad(b, env, http, s.tenantId(), s.clientId())
              .serviceConnectionId(s.serviceConnectionId())
              .systemAccessToken(s.systemAccessToken().reveal())
              .build();
      who = client(s.clientId(), s.tenantId());
    } else if (spec instanceof TokenSpec.DeviceCode s) {
      credential =
          aad(new DeviceCodeCredentialBuilder(), env, http, s.tenantId(), s.clientId())
              .challengeConsumer(info -> s.prompt().accept(info.getMessage()))
              .build();
      who = client(s.clientId(), s.tenantId());
    } else if (spec instanceof TokenSpec.UsernamePassword s) {
      credential =
          aad(new UsernamePasswordCredentialBuilder(), env, http, s.tenantId(), s.clientId())
              .username(s.username())
              .password(s.password().reveal())
              .build();
      who = "user " + s.username();
    } else {
      throw new IllegalArgumentException("unknown token spec " + spec.getClass());
    }
    return new Built(credential, who);
  }

  private static String client(String clientId, String tenantId) {
    return "client " + clientId + " in tenant " + tenantId;
  }

  private static <B extends AadCredentialBuilderBase<B>> B aad(
      B builder,
      AzureEnvironment env,
      com.azure.core.http.HttpClient http,
      String tenantId,
      String clientId) {
    return builder
        .authorityHost(env.cloud().authorityHostString())
        .tenantId(tenantId)
        .clientId(clientId)
        .disableInstanceDiscovery()
        .httpClient(http)
        .maxRetry(MAX_RETRY)
        .retryPolicy(AzureHttp.retryPolicy(MAX_RETRY));
  }
}
