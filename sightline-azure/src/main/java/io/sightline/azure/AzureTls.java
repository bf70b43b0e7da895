package io.sightline.azure;

import io.sightline.core.SightlineException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS trust for Azure endpoints: the JVM's default trust, or a custom CA bundle (PEM) for private
 * clouds and TLS-inspecting proxies. The bundle replaces the default trust; it does not add to it.
 */
public final class AzureTls {
  private AzureTls() {}

  /** The JVM's default trust. */
  public static SSLContext defaults() {
    try {
      return SSLContext.getDefault();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no default TLS context", e);
    }
  }

  /** Trust exactly the certificates of a PEM bundle file. */
  public static SSLContext caBundle(Path pemFile) {
    try {
      return caBundlePem(Files.readString(pemFile, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw SightlineException.badRequest(
          "INVALID_FIELD", "caBundle", "cannot read the CA bundle " + pemFile + ": " + e);
    }
  }

  /** Trust exactly the certificates of a PEM bundle. */
  public static SSLContext caBundlePem(String pem) {
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certs.isEmpty()) {
        throw SightlineException.badRequest(
            "INVALID_FIELD", "caBundle", "the CA bundle holds no PEM certificate");
      }
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        ks.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw SightlineException.badRequest(
          "INVALID_FIELD",
          "caBundle",
          "the CA bundle is not valid PEM certificates: " + e.getMessage());
    }
  }
}
