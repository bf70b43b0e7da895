package io.sightline.testing.azure;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Context;
import io.sightline.testing.azure.internal.LoopbackTls;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import reactor.core.publisher.Mono;

/** Shared fixtures: ids, certificates, and an azure-core HttpClient that trusts the emulator. */
final class TestIdentities {
  static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  static final String OTHER_TENANT = "1b2c3d4e-0000-4000-8000-00000000aaaa";
  static final String SECRET_APP = "0a1b2c3d-1111-4111-8111-000000000001";
  static final String CERT_APP = "0a1b2c3d-2222-4222-8222-000000000002";
  static final String FED_APP = "0a1b2c3d-3333-4333-8333-000000000003";
  static final String PUBLIC_APP = "0a1b2c3d-4444-4444-8444-000000000004";
  static final String MI_CLIENT = "0a1b2c3d-5555-4555-8555-000000000005";
  static final String UAMI_CLIENT = "0a1b2c3d-6666-4666-8666-000000000006";
  static final String SUB = "11111111-2222-4333-8444-555555555555";
  static final String GROUP = "9e9e9e9e-0000-4000-8000-000000000009";
  static final String SECRET = "s3cret-value~for.tests";
  static final String PASSWORD = "correct horse battery staple";
  static final String PFX_PASSWORD = "pfx-password";

  private TestIdentities() {}

  /** Every non-loopback URL an azure-identity client tried (refused before any byte is sent). */
  static final List<String> OFF_LOOPBACK = new CopyOnWriteArrayList<>();

  /**
   * azure-identity on the JDK HttpClient, trusting only the emulator's CA (not the JVM's), and
   * refusing — and recording in {@link #OFF_LOOPBACK} — any request to a host other than 127.0.0.1.
   */
  static HttpClient httpClient(FakeAzure azure) {
    HttpClient jdk = jdkHttpClient(azure);
    return new HttpClient() {
      @Override
      public Mono<HttpResponse> send(HttpRequest request) {
        return send(request, Context.NONE);
      }

      @Override
      public Mono<HttpResponse> send(HttpRequest request, Context context) {
        if (!"127.0.0.1".equals(request.getUrl().getHost())) {
          OFF_LOOPBACK.add(request.getHttpMethod() + " " + request.getUrl());
          return Mono.error(new IllegalStateException("off-loopback request " + request.getUrl()));
        }
        return jdk.send(request, context);
      }

      @Override
      public HttpResponse sendSync(HttpRequest request, Context context) {
        if (!"127.0.0.1".equals(request.getUrl().getHost())) {
          OFF_LOOPBACK.add(request.getHttpMethod() + " " + request.getUrl());
          throw new IllegalStateException("off-loopback request " + request.getUrl());
        }
        return jdk.sendSync(request, context);
      }
    };
  }

  private static HttpClient jdkHttpClient(FakeAzure azure) {
    return new JdkHttpClientBuilder(
            java.net.http.HttpClient.newBuilder()
                .sslContext(azure.clientSslContext())
                .proxy(java.net.http.HttpClient.Builder.NO_PROXY))
        .connectionTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** An RSA key and self-signed certificate (MSAL signs client assertions with RS256 only). */
  record Identity(KeyPair keyPair, X509Certificate certificate) {}

  static Identity certificate(String cn) throws Exception {
    return certificate(
        cn, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(Duration.ofDays(1)));
  }

  static Identity certificate(String cn, Instant notBefore, Instant notAfter) throws Exception {
    KeyPair kp = LoopbackTls.rsaKeyPair();
    Instant now = Instant.now();
    X500Name subject = new X500Name("CN=" + cn);
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        subject,
                        BigInteger.valueOf(now.toEpochMilli())
                            .add(BigInteger.valueOf(cn.hashCode() & 0xffff)),
                        Date.from(notBefore),
                        Date.from(notAfter),
                        subject,
                        kp.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    return new Identity(kp, cert);
  }

  /** A PEM file holding the private key (PKCS#8) and the certificate, as azure-identity reads. */
  static Path pemFile(Identity id, Path dir) throws Exception {
    String key =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(id.keyPair().getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    Path f = dir.resolve(id.certificate().getSerialNumber() + ".pem");
    Files.writeString(f, key + LoopbackTls.pem(id.certificate()), StandardCharsets.US_ASCII);
    return f;
  }

  static Path pfxFile(Identity id, Path dir) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "client",
        id.keyPair().getPrivate(),
        PFX_PASSWORD.toCharArray(),
        new X509Certificate[] {id.certificate()});
    Path f = dir.resolve(id.certificate().getSerialNumber() + ".pfx");
    try (OutputStream out = Files.newOutputStream(f)) {
      ks.store(out, PFX_PASSWORD.toCharArray());
    }
    return f;
  }
}
