package io.sightline.azure;

import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.pki.TestCa;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Shared ids, certificates, and an Azure environment that reaches only the emulator. */
final class Fixtures {
  static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  static final String SECRET_APP = "0a1b2c3d-1111-4111-8111-000000000001";
  static final String CERT_APP = "0a1b2c3d-2222-4222-8222-000000000002";
  static final String FED_APP = "0a1b2c3d-3333-4333-8333-000000000003";
  static final String PUBLIC_APP = "0a1b2c3d-4444-4444-8444-000000000004";
  static final String MI_CLIENT = "0a1b2c3d-5555-4555-8555-000000000005";
  static final String UAMI_CLIENT = "0a1b2c3d-6666-4666-8666-000000000006";
  static final String NOBODY_APP = "0a1b2c3d-8888-4888-8888-000000000008";
  static final String EXPIRED_CERT_APP = "0a1b2c3d-aaaa-4aaa-8aaa-00000000000a";
  static final String SUB = "11111111-2222-4333-8444-555555555555";
  static final String GROUP = "9e9e9e9e-0000-4000-8000-000000000009";
  static final String SECRET = "s3cret-value~for.tests";
  static final String PASSWORD = "correct horse battery staple";
  static final String PFX_PASSWORD = "pfx-password";

  private Fixtures() {}

  /** Every request the product tried to send to a host other than 127.0.0.1. */
  static final List<String> OFF_LOOPBACK = new CopyOnWriteArrayList<>();

  /** The emulator's endpoints as a custom cloud, its CA only, and only 127.0.0.1 allowed. */
  static AzureEnvironment env(FakeAzure azure) {
    return AzureEnvironment.builder()
        .cloud(
            AzureCloud.custom(
                azure.authorityHost(), azure.armEndpoint(), "https://management.azure.com/"))
        .sslContext(azure.clientSslContext())
        .egress(
            uri -> {
              boolean ok = "127.0.0.1".equals(uri.getHost());
              if (!ok) {
                OFF_LOOPBACK.add(String.valueOf(uri));
              }
              return ok;
            })
        .connectTimeout(Duration.ofSeconds(3))
        .build();
  }

  record Identity(KeyPair keyPair, X509Certificate certificate) {
    /** PKCS#8 key then certificate, as azure-identity reads a PEM. */
    String pem() {
      return TestCa.pem(keyPair.getPrivate()) + TestCa.pem(certificate);
    }

    byte[] pfx() throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(
          "client",
          keyPair.getPrivate(),
          PFX_PASSWORD.toCharArray(),
          new X509Certificate[] {certificate});
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ks.store(out, PFX_PASSWORD.toCharArray());
      return out.toByteArray();
    }
  }

  static Identity certificate(String cn) throws Exception {
    return certificate(
        cn, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(Duration.ofDays(1)));
  }

  /** RSA (MSAL signs client assertions with RS256 only) and self-signed. */
  static Identity certificate(String cn, Instant notBefore, Instant notAfter) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair kp = g.generateKeyPair();
    X500Name subject = new X500Name("CN=" + cn);
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        subject,
                        BigInteger.valueOf(System.nanoTime()),
                        Date.from(notBefore),
                        Date.from(notAfter),
                        subject,
                        kp.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    return new Identity(kp, cert);
  }
}
