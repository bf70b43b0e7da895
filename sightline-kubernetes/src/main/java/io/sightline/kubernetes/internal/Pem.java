package io.sightline.kubernetes.internal;

import io.sightline.core.SightlineException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Validation of base64 and PEM values from untrusted input; errors name the field. */
public final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s:,\\-]*?)-----END \\1-----",
          Pattern.DOTALL);
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/\\-_]*={0,2}");

  private Pem() {}

  /**
   * Decodes a base64 value (standard or URL alphabet, wrapped lines and surrounding whitespace
   * tolerated).
   */
  public static byte[] decodeBase64(String value, String field) {
    String compact = value == null ? "" : value.replaceAll("\\s", "");
    if (compact.isEmpty()) {
      throw SightlineException.badRequest(
          "INVALID_BASE64", field, field + " is empty: expected base64 data");
    }
    if (!BASE64.matcher(compact).matches()) {
      throw SightlineException.badRequest(
          "INVALID_BASE64",
          field,
          field + " is not valid base64 (it contains characters outside A-Z a-z 0-9 + / =)");
    }
    try {
      if (compact.indexOf('-') >= 0 || compact.indexOf('_') >= 0) {
        return Base64.getUrlDecoder().decode(compact);
      }
      return Base64.getDecoder().decode(compact);
    } catch (IllegalArgumentException e) {
      throw SightlineException.badRequest(
          "INVALID_BASE64",
          field,
          field + " is not valid base64 (" + e.getMessage() + "); give the value base64-encoded");
    }
  }

  /** True when {@code text} looks like PEM (has a BEGIN line). */
  public static boolean looksLikePem(String text) {
    return text != null && text.contains("-----BEGIN ");
  }

  /**
   * Checks that {@code pem} holds one or more X.509 certificates and returns them normalised (the
   * certificate blocks only, nothing around them).
   */
  public static String certificates(String pem, String field) {
    List<String> blocks = blocks(pem, field, "CERTIFICATE");
    if (blocks.isEmpty()) {
      throw SightlineException.badRequest(
          "INVALID_PEM",
          field,
          field
              + " holds no PEM certificate: expected '-----BEGIN CERTIFICATE-----' ... '-----END"
              + " CERTIFICATE-----'");
    }
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      StringBuilder normalised = new StringBuilder();
      for (String block : blocks) {
        X509Certificate cert =
            (X509Certificate)
                factory.generateCertificate(
                    new ByteArrayInputStream(block.getBytes(StandardCharsets.US_ASCII)));
        cert.getSubjectX500Principal(); // parsed
        normalised.append(block).append('\n');
      }
      return normalised.toString();
    } catch (CertificateException | ClassCastException e) {
      throw SightlineException.badRequest(
          "INVALID_PEM", field, field + " holds a PEM block that is not a valid X.509 certificate");
    }
  }

  /** Checks that {@code pem} holds exactly one unencrypted private key and returns that block. */
  public static String privateKey(String pem, String field) {
    List<String> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(pem == null ? "" : pem);
    String type = null;
    while (m.find()) {
      if (m.group(1).endsWith("PRIVATE KEY")) {
        blocks.add(m.group());
        type = m.group(1);
      }
    }
    if (blocks.size() != 1) {
      throw SightlineException.badRequest(
          "INVALID_PEM",
          field,
          field
              + (blocks.isEmpty() ? " holds no" : " holds more than one")
              + " PEM private key: expected one '-----BEGIN PRIVATE KEY-----' (or RSA/EC PRIVATE"
              + " KEY) block");
    }
    if (type.startsWith("ENCRYPTED") || blocks.get(0).contains("Proc-Type:")) {
      throw SightlineException.badRequest(
          "INVALID_PEM",
          field,
          field + " holds an encrypted private key; give the key unencrypted");
    }
    byte[] der = body(blocks.get(0), field);
    if (der.length < 16 || der[0] != 0x30) {
      throw SightlineException.badRequest(
          "INVALID_PEM", field, field + " holds a PEM private key whose content is not DER");
    }
    return blocks.get(0) + "\n";
  }

  /**
   * The key algorithm of a private-key PEM block ({@code RSA}, {@code EC}, ...), as fabric8's
   * {@code clientKeyAlgo} wants it.
   */
  public static String keyAlgorithm(String keyPem) {
    if (keyPem.contains("BEGIN EC PRIVATE KEY")) {
      return "EC";
    }
    if (keyPem.contains("BEGIN RSA PRIVATE KEY")) {
      return "RSA";
    }
    byte[] der = body(keyPem, "key");
    for (String algo : List.of("RSA", "EC", "Ed25519")) {
      try {
        java.security.KeyFactory.getInstance(algo)
            .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
        return algo;
      } catch (java.security.GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    return "RSA";
  }

  private static List<String> blocks(String pem, String field, String wanted) {
    List<String> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(pem == null ? "" : pem);
    while (m.find()) {
      if (m.group(1).equals(wanted)) {
        body(m.group(), field);
        out.add(m.group());
      }
    }
    return out;
  }

  private static byte[] body(String block, String field) {
    String inner =
        block
            .replaceAll("-----(BEGIN|END) [A-Z0-9 ]+-----", "")
            .lines()
            .filter(l -> !l.contains(":"))
            .reduce("", String::concat)
            .replaceAll("\\s", "");
    try {
      return Base64.getMimeDecoder().decode(inner);
    } catch (IllegalArgumentException e) {
      throw SightlineException.badRequest(
          "INVALID_PEM", field, field + " holds a PEM block whose body is not valid base64");
    }
  }
}
