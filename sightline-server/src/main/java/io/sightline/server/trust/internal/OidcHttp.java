package io.sightline.server.trust.internal;

import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.EgressSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * The HTTP client that fetches issuers' discovery documents and JWKS: HTTPS only, no redirects,
 * short timeouts, every socket checked against the egress policy at connect time, trusting the
 * JVM's CAs plus an optional PEM bundle ({@code sightline.trust.ca-file}).
 */
public final class OidcHttp {
  private OidcHttp() {}

  public static OkHttpClient client(EgressPolicy egress, Path extraCaFile) {
    X509TrustManager trust = trustManager(extraCaFile);
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, new TrustManager[] {trust}, null);
      return new OkHttpClient.Builder()
          .socketFactory(EgressSocketFactory.of(egress))
          .sslSocketFactory(ssl.getSocketFactory(), trust)
          .followRedirects(false)
          .followSslRedirects(false)
          .retryOnConnectionFailure(false)
          .connectTimeout(Duration.ofSeconds(5))
          .readTimeout(Duration.ofSeconds(5))
          .callTimeout(Duration.ofSeconds(10))
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for OIDC issuers", e);
    }
  }

  /**
   * The JVM's default trust plus the certificates of {@code extraCaFile}.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read
   */
  public static X509TrustManager trustManager(Path extraCaFile) {
    try {
      TrustManagerFactory def =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      def.init((KeyStore) null);
      X509TrustManager system = first(def.getTrustManagers());
      if (extraCaFile == null) {
        return system;
      }
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (X509Certificate c : system.getAcceptedIssuers()) {
        ks.setCertificateEntry("system-" + i++, c);
      }
      int extra = 0;
      try (InputStream in = Files.newInputStream(extraCaFile)) {
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          ks.setCertificateEntry("extra-" + extra++, c);
        }
      }
      if (extra == 0) {
        throw new IllegalArgumentException(extraCaFile + " holds no PEM certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return first(tmf.getTrustManagers());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read " + extraCaFile + " (" + e.getClass().getSimpleName() + ")", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          extraCaFile + " is not a PEM certificate bundle: " + e.getMessage(), e);
    }
  }

  private static X509TrustManager first(TrustManager[] managers) {
    return Arrays.stream(managers)
        .filter(X509TrustManager.class::isInstance)
        .map(X509TrustManager.class::cast)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no X509TrustManager"));
  }
}
