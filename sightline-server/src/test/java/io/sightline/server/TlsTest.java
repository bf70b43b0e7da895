package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTest {
  @TempDir Path tmp;

  @Test
  void servesHttpsWithAPemCertificateAndKey() throws Exception {
    KeyPair kp = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    X500Name name = new X500Name("CN=localhost");
    Instant now = Instant.now();
    var builder =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(Duration.ofDays(1))),
            name,
            kp.getPublic());
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.dNSName, "localhost"),
              new GeneralName(GeneralName.iPAddress, "127.0.0.1")
            }));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    Path certFile = tmp.resolve("tls.crt");
    Path keyFile = tmp.resolve("tls.key");
    Files.writeString(certFile, pem(cert));
    Files.writeString(
        keyFile, pem(new java.security.spec.PKCS8EncodedKeySpec(kp.getPrivate().getEncoded())));

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", cert);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);

    try (Harness h = new Harness(tmp)) {
      h.flags.put(ServerConfig.TLS_CERT, certFile.toString());
      h.flags.put(ServerConfig.TLS_KEY, keyFile.toString());
      h.http = HttpClient.newBuilder().sslContext(ssl).build();
      h.start();
      assertThat(h.server.url()).startsWith("https://127.0.0.1:");
      assertThat(h.get("/healthz", null).status()).isEqualTo(200);
      assertThat(h.get("/api/v1/tokens", h.adminToken()).status()).isEqualTo(200);
    }
  }

  @Test
  void aKeyFileWithoutAKeyIsNamed() throws Exception {
    Path cert = tmp.resolve("c.pem");
    Files.writeString(cert, "nothing");
    try (Harness h = new Harness(tmp)) {
      h.flags.put(ServerConfig.TLS_CERT, cert.toString());
      h.flags.put(ServerConfig.TLS_KEY, cert.toString());
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("--tls-cert " + cert);
    }
  }

  private static String pem(Object o) throws Exception {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      if (o instanceof java.security.spec.PKCS8EncodedKeySpec spec) {
        pw.writeObject(
            new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", spec.getEncoded()));
      } else {
        pw.writeObject(o);
      }
    }
    return w.toString();
  }
}
