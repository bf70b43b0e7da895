package io.sightline.kubernetes;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away CA and certificates for loopback TLS in tests. */
final class TestCerts {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  final KeyPair caKeys;
  final X509Certificate caCert;

  TestCerts(String caName) {
    try {
      caKeys = keys();
      caCert =
          sign(
              new X500Name("CN=" + caName),
              caKeys,
              caKeys.getPrivate(),
              new X500Name("CN=" + caName),
              true,
              null);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  String caPem() {
    return pem(caCert);
  }

  /** A leaf certificate for {@code cn}, with IP 127.0.0.1 and the given DNS names as SANs. */
  Leaf leaf(String cn, String... dnsNames) {
    try {
      KeyPair kp = keys();
      GeneralName[] names = new GeneralName[dnsNames.length + 1];
      names[0] = new GeneralName(GeneralName.iPAddress, "127.0.0.1");
      for (int i = 0; i < dnsNames.length; i++) {
        names[i + 1] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
      }
      X509Certificate cert =
          sign(
              new X500Name("CN=" + cn),
              kp,
              caKeys.getPrivate(),
              new X500Name(caCert.getSubjectX500Principal().getName()),
              false,
              new GeneralNames(names));
      return new Leaf(cert, kp.getPrivate(), caCert);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  record Leaf(X509Certificate cert, PrivateKey key, X509Certificate ca) {
    String certPem() {
      return pem(cert);
    }

    String keyPem() {
      return pem(key);
    }

    SSLContext serverContext() {
      try {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", key, "x".toCharArray(), new X509Certificate[] {cert, ca});
        KeyManagerFactory kmf =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static String b64(String text) {
    return Base64.getEncoder()
        .encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  static String pem(Object o) {
    try (StringWriter sw = new StringWriter();
        JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
      w.flush();
      return sw.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(
      X500Name subject,
      KeyPair subjectKeys,
      PrivateKey issuerKey,
      X500Name issuer,
      boolean ca,
      GeneralNames sans)
      throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(now.minus(1, ChronoUnit.HOURS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)),
            subject,
            subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (sans != null) {
      b.addExtension(Extension.subjectAlternativeName, false, sans);
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }
}
