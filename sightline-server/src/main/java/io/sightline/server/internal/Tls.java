package io.sightline.server.internal;

import io.sightline.server.StartupException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** HTTPS from PEM files: a certificate chain and an unencrypted PKCS#8 or PKCS#1 RSA key. */
public final class Tls {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private final SslContextFactory.Server ssl;

  private Tls(SslContextFactory.Server ssl) {
    this.ssl = ssl;
  }

  /** Loads and checks the PEM files; errors name the file and the fix. */
  public static Tls load(Path certFile, Path keyFile) {
    Collection<? extends Certificate> chain;
    try {
      byte[] pem = Files.readAllBytes(certFile);
      chain =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem));
    } catch (IOException e) {
      throw new StartupException(
          "cannot read --tls-cert " + certFile + ": " + e.getClass().getSimpleName());
    } catch (GeneralSecurityException e) {
      throw new StartupException(
          "--tls-cert " + certFile + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    if (chain.isEmpty()) {
      throw new StartupException(
          "--tls-cert " + certFile + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    PrivateKey key = readKey(keyFile);
    try {
      char[] password = randomPassword();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("sightline", key, password, chain.toArray(new Certificate[0]));
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(ks);
      ssl.setKeyStorePassword(new String(password));
      ssl.setSniRequired(false);
      return new Tls(ssl);
    } catch (GeneralSecurityException | IOException e) {
      throw new StartupException(
          "--tls-key "
              + keyFile
              + " does not match --tls-cert "
              + certFile
              + ": give the key of that certificate");
    }
  }

  /** A connector serving HTTPS on {@code host:port}. */
  public Connector connector(Server server, HttpConfiguration base, String host, int port) {
    HttpConfiguration https = new HttpConfiguration(base);
    https.addCustomizer(new SecureRequestCustomizer(false));
    ServerConnector c =
        new ServerConnector(
            server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
    c.setHost(host);
    c.setPort(port);
    c.setAcceptQueueSize(io.sightline.server.SightlineServer.ACCEPT_QUEUE);
    return c;
  }

  private static PrivateKey readKey(Path keyFile) {
    String text;
    try {
      text = Files.readString(keyFile, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new StartupException(
          "cannot read --tls-key " + keyFile + ": " + e.getClass().getSimpleName());
    }
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      String type = m.group(1);
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      switch (type) {
        case "PRIVATE KEY":
          for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
            try {
              return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
              // try the next algorithm
            }
          }
          throw new StartupException(
              "--tls-key "
                  + keyFile
                  + " holds a private key of an unsupported type (use RSA or EC)");
        case "RSA PRIVATE KEY":
          try {
            return KeyFactory.getInstance("RSA")
                .generatePrivate(new PKCS8EncodedKeySpec(pkcs1ToPkcs8(der)));
          } catch (GeneralSecurityException e) {
            throw new StartupException("--tls-key " + keyFile + " holds an unreadable RSA key");
          }
        case "ENCRYPTED PRIVATE KEY":
          throw new StartupException(
              "--tls-key "
                  + keyFile
                  + " is encrypted: decrypt it with `openssl pkey -in KEY -out plain.pem`");
        default:
          if (type.endsWith("PRIVATE KEY")) {
            throw new StartupException(
                "--tls-key "
                    + keyFile
                    + " is a "
                    + type
                    + ": convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem`");
          }
      }
    }
    throw new StartupException(
        "--tls-key " + keyFile + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }

  /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo. */
  private static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    byte[] algId = {
      0x30,
      0x0d,
      0x06,
      0x09,
      0x2a,
      (byte) 0x86,
      0x48,
      (byte) 0x86,
      (byte) 0xf7,
      0x0d,
      0x01,
      0x01,
      0x01,
      0x05,
      0x00
    };
    byte[] version = {0x02, 0x01, 0x00};
    byte[] octet = der(0x04, pkcs1);
    byte[] body = new byte[version.length + algId.length + octet.length];
    System.arraycopy(version, 0, body, 0, version.length);
    System.arraycopy(algId, 0, body, version.length, algId.length);
    System.arraycopy(octet, 0, body, version.length + algId.length, octet.length);
    return der(0x30, body);
  }

  private static byte[] der(int tag, byte[] content) {
    int len = content.length;
    byte[] lenBytes;
    if (len < 0x80) {
      lenBytes = new byte[] {(byte) len};
    } else if (len < 0x100) {
      lenBytes = new byte[] {(byte) 0x81, (byte) len};
    } else if (len < 0x10000) {
      lenBytes = new byte[] {(byte) 0x82, (byte) (len >> 8), (byte) len};
    } else {
      lenBytes = new byte[] {(byte) 0x83, (byte) (len >> 16), (byte) (len >> 8), (byte) len};
    }
    byte[] out = new byte[1 + lenBytes.length + len];
    out[0] = (byte) tag;
    System.arraycopy(lenBytes, 0, out, 1, lenBytes.length);
    System.arraycopy(content, 0, out, 1 + lenBytes.length, len);
    return out;
  }

  private static char[] randomPassword() {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return Base64.getEncoder().encodeToString(b).toCharArray();
  }
}
