package io.sightline.cli.kubelogin.internal;

import io.sightline.azure.AccessToken;
import io.sightline.azure.AzureCloud;
import io.sightline.azure.AzureEnvironment;
import io.sightline.azure.AzureTokenSources;
import io.sightline.azure.TokenSpec;
import io.sightline.cli.kubelogin.GetTokenOptions;
import io.sightline.cli.kubelogin.KubeloginException;
import io.sightline.cli.kubelogin.TokenCache;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/**
 * Signs in for {@code get-token} when the cache cannot answer: service principals, workload
 * identity (token file or GitHub Actions), managed identity and Azure Pipelines through
 * sightline-azure's token sources (azure-identity); people's sign-ins through {@link PublicClient};
 * the Azure CLI through {@code az}.
 */
public final class EntraLogin {
  private EntraLogin() {}

  public static TokenCache.Entry fetch(
      GetTokenOptions o, TokenCache.Entry previous, PrintStream err) {
    try {
      SSLContext ssl = Https.ssl(o.env());
      switch (o.login()) {
        case AZURECLI:
          return AzureCliToken.fetch(o);
        case DEVICECODE:
        case INTERACTIVE:
        case ROPC:
          return new PublicClient(o, ssl).fetch(previous, err);
        default:
          AzureEnvironment env =
              AzureEnvironment.builder()
                  .cloud(
                      AzureCloud.custom(
                          o.authority(),
                          "https://management.azure.com/",
                          "https://management.azure.com/"))
                  .sslContext(ssl)
                  .build();
          AccessToken t = AzureTokenSources.create(spec(o, ssl), env).token(o.scope(), o.timeout());
          return new TokenCache.Entry(t.token(), t.expiresAt(), null);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** MSAL signs client assertions with RS256: say so instead of a parser's error. */
  private static void requireRsa(String pem, Path file) {
    String begin = "-----BEGIN PRIVATE KEY-----";
    int at = pem.indexOf(begin);
    boolean rsa;
    if (pem.contains("-----BEGIN EC PRIVATE KEY-----")) {
      rsa = false;
    } else if (at < 0) {
      return; // no PKCS#8 key: the token source names what is missing
    } else {
      int end = pem.indexOf("-----END PRIVATE KEY-----", at);
      try {
        byte[] der =
            java.util.Base64.getMimeDecoder().decode(pem.substring(at + begin.length(), end));
        java.security.KeyFactory.getInstance("RSA")
            .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
        rsa = true;
      } catch (RuntimeException | java.security.GeneralSecurityException e) {
        rsa = false;
      }
    }
    if (!rsa) {
      throw KubeloginException.usage(
          "the private key in "
              + file
              + " is not an RSA key: Entra ID client certificates sign with RS256, so give the"
              + " certificate of an RSA key");
    }
  }

  /** One GitHub token per sign-in (MSAL may ask for the assertion more than once). */
  private static java.util.function.Supplier<String> once(java.util.function.Supplier<String> s) {
    java.util.concurrent.atomic.AtomicReference<String> value =
        new java.util.concurrent.atomic.AtomicReference<>();
    return () -> {
      String v = value.get();
      if (v == null) {
        v = s.get();
        value.set(v);
      }
      return v;
    };
  }

  static TokenSpec spec(GetTokenOptions o, SSLContext ssl) throws IOException {
    switch (o.login()) {
      case SPN:
        if (o.clientSecret() != null && o.clientCertificate() == null) {
          return new TokenSpec.ClientSecret(o.tenantId(), o.clientId(), o.clientSecret());
        }
        Path cert = Path.of(o.clientCertificate());
        if (!Files.isReadable(cert)) {
          throw KubeloginException.usage(
              "cannot read the client certificate " + cert + ": give a readable PEM or PFX file");
        }
        byte[] bytes = Files.readAllBytes(cert);
        String head = new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.US_ASCII);
        if (head.contains("-----BEGIN")) {
          requireRsa(new String(bytes, StandardCharsets.US_ASCII), cert);
          return new TokenSpec.ClientCertificatePem(
              o.tenantId(),
              o.clientId(),
              SecretValue.of(new String(bytes, StandardCharsets.US_ASCII)));
        }
        return new TokenSpec.ClientCertificatePfx(
            o.tenantId(), o.clientId(), bytes, o.clientCertificatePassword());
      case MSI:
        if (o.identityResourceId() != null) {
          throw KubeloginException.usage(
              "--identity-resource-id is not supported yet: name a user-assigned identity by"
                  + " --client-id");
        }
        return new TokenSpec.ManagedIdentity(o.clientId());
      case WORKLOADIDENTITY:
        if (o.federatedTokenFile() != null) {
          return new TokenSpec.WorkloadIdentity(
              o.tenantId(), o.clientId(), Path.of(o.federatedTokenFile()));
        }
        return new TokenSpec.ClientAssertion(
            o.tenantId(), o.clientId(), once(new GitHubAssertion(o.env(), ssl, o.timeout())));
      case AZUREPIPELINES:
        return new TokenSpec.AzurePipelines(
            o.tenantId(),
            o.clientId(),
            o.pipelinesServiceConnectionId(),
            SecretValue.of(o.env().get("SYSTEM_ACCESSTOKEN").trim()),
            o.env().get("SYSTEM_OIDCREQUESTURI").trim());
      default:
        throw new IllegalArgumentException(o.login().flag());
    }
  }
}
