package io.sightline.kubernetes;

import io.sightline.api.probe.DiagnosisCode;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.internal.Pem;
import io.sightline.kubernetes.internal.SafeYaml;
import io.sightline.kubernetes.internal.ServerUrls;
import io.sightline.kubernetes.internal.Tree;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a {@code kubernetes.io/service-account-token} Secret as {@code kubectl get secret -o
 * yaml|json} prints it (base64 {@code data.token}, {@code data["ca.crt"]}, {@code data.namespace}),
 * or a token and CA PEM given directly.
 *
 * <p>It accepts what is unambiguous: wrapped base64 lines, {@code stringData}, a value given
 * decoded where that is plain to see (a JWT, a PEM block). Anything else is a 400 naming the field
 * and what was expected. A Secret whose token the controller has not filled yet is {@link
 * DiagnosisCode#TOKEN_NOT_POPULATED}.
 */
public final class ServiceAccountSecretParser {
  /** The connection field the Secret text comes in. */
  public static final String FIELD = "serviceAccountSecret";

  public static final String TOKEN_TYPE = "kubernetes.io/service-account-token";

  private static final Pattern JWT =
      Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

  private ServiceAccountSecretParser() {}

  /** Parses the YAML or JSON of a token Secret. */
  public static ServiceAccountCredential parse(String secretText) {
    Map<String, Object> root =
        SafeYaml.loadMapping(secretText, FIELD, "a service-account token Secret");
    String kind = Tree.string(root, "kind", FIELD + ".kind");
    if ("List".equals(kind)) {
      var items = Tree.list(root, "items", FIELD + ".items");
      if (items.size() != 1 || !(items.get(0) instanceof Map)) {
        throw SightlineException.badRequest(
            "INVALID_SECRET",
            FIELD + ".items",
            "the document is a List of " + items.size() + " items; give exactly one Secret");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> only = (Map<String, Object>) items.get(0);
      root = only;
      kind = Tree.string(root, "kind", FIELD + ".kind");
    }
    if (kind != null && !kind.equals("Secret")) {
      throw SightlineException.badRequest(
          "INVALID_SECRET",
          FIELD + ".kind",
          "expected kind: Secret (as kubectl get secret NAME -o yaml prints it), got kind: "
              + kind);
    }
    String type = Tree.string(root, "type", FIELD + ".type");
    if (type != null && !type.equals(TOKEN_TYPE) && !type.equals("Opaque")) {
      throw SightlineException.badRequest(
          "INVALID_SECRET",
          FIELD + ".type",
          "expected a Secret of type " + TOKEN_TYPE + ", got type: " + type);
    }
    Map<?, ?> metadata = Tree.map(root, "metadata", FIELD + ".metadata");
    String saName = null;
    String metaNamespace = null;
    if (metadata != null) {
      metaNamespace = Tree.string(metadata, "namespace", FIELD + ".metadata.namespace");
      Map<?, ?> annotations = Tree.map(metadata, "annotations", FIELD + ".metadata.annotations");
      if (annotations != null) {
        saName =
            Tree.string(
                annotations, "kubernetes.io/service-account.name", FIELD + ".metadata.annotations");
      }
    }
    Map<?, ?> data = Tree.map(root, "data", FIELD + ".data");
    Map<?, ?> stringData = Tree.map(root, "stringData", FIELD + ".stringData");
    String token = value(data, stringData, "token", Kind.TOKEN);
    if (token == null || token.isBlank()) {
      throw SightlineException.badRequest(
          DiagnosisCode.TOKEN_NOT_POPULATED.name(),
          FIELD + ".data.token",
          "the Secret has no token yet: the token controller fills data.token of a "
              + TOKEN_TYPE
              + " Secret annotated kubernetes.io/service-account.name a moment after it is created."
              + " Wait and copy it again (kubectl get secret NAME -o yaml), or give the token"
              + " directly");
    }
    String ca = value(data, stringData, "ca.crt", Kind.PEM);
    String caPem =
        ca == null || ca.isBlank() ? null : Pem.certificates(ca, FIELD + ".data[\"ca.crt\"]");
    String namespace = value(data, stringData, "namespace", Kind.TEXT);
    if (namespace == null) {
      namespace = metaNamespace;
    }
    return new ServiceAccountCredential(
        tokenValue(token, FIELD + ".data.token"), caPem, namespace, saName);
  }

  /**
   * A token and an optional CA PEM given directly (fields {@code apiToken}, {@code
   * serviceAccountCertificate}).
   */
  public static ServiceAccountCredential fromTokenAndCa(String token, String caPem) {
    if (token == null || token.isBlank()) {
      throw SightlineException.badRequest(
          "INVALID_TOKEN", "apiToken", "apiToken is empty: give the service account's token");
    }
    String ca = null;
    if (caPem != null && !caPem.isBlank()) {
      String text = caPem.strip();
      if (!Pem.looksLikePem(text)) {
        // Accept the base64 of the PEM too (what data["ca.crt"] holds), when that decodes to PEM.
        String decoded = tryDecodeToText(text);
        if (decoded == null || !Pem.looksLikePem(decoded)) {
          throw SightlineException.badRequest(
              "INVALID_PEM",
              "serviceAccountCertificate",
              "serviceAccountCertificate must be the cluster CA as PEM ('-----BEGIN CERTIFICATE-----' ...) or its base64");
        }
        text = decoded;
      }
      ca = Pem.certificates(text, "serviceAccountCertificate");
    }
    return new ServiceAccountCredential(tokenValue(token, "apiToken"), ca, null, null);
  }

  /** Validates {@code server} and combines it with {@code credential}. */
  public static ClusterAccess access(
      String server, ServiceAccountCredential credential, boolean acceptUntrustedCerts) {
    return credential.toAccess(ServerUrls.validate(server, "url"), acceptUntrustedCerts);
  }

  private enum Kind {
    TOKEN,
    PEM,
    TEXT
  }

  /**
   * The decoded value of {@code key}: from {@code stringData} as is, from {@code data}
   * base64-decoded unless it is plainly already decoded (a JWT, a PEM block).
   */
  private static String value(Map<?, ?> data, Map<?, ?> stringData, String key, Kind kind) {
    String plainField = FIELD + ".stringData[\"" + key + "\"]";
    String field = FIELD + ".data[\"" + key + "\"]";
    if (stringData != null && stringData.get(key) != null) {
      return Tree.string(stringData, key, plainField);
    }
    if (data == null || data.get(key) == null) {
      return null;
    }
    String raw = Tree.string(data, key, field).strip();
    if (kind == Kind.TOKEN && JWT.matcher(raw).matches()) {
      return raw; // a JWT has dots, which base64 never does: it was given decoded
    }
    if (kind == Kind.PEM && Pem.looksLikePem(raw)) {
      return raw;
    }
    byte[] bytes = Pem.decodeBase64(raw, field);
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (kind == Kind.TOKEN && !JWT.matcher(text.strip()).matches()) {
      if (!printable(text)) {
        throw SightlineException.badRequest(
            "INVALID_TOKEN",
            field,
            field
                + " does not decode to a token: expected the base64 of a JWT (eyJ...), as kubectl prints it, or the JWT itself");
      }
    }
    if (kind == Kind.PEM && !Pem.looksLikePem(text)) {
      throw SightlineException.badRequest(
          "INVALID_PEM",
          field,
          field
              + " does not decode to PEM: expected the base64 of '-----BEGIN CERTIFICATE-----' ..., as kubectl prints it");
    }
    return text;
  }

  private static SecretValue tokenValue(String token, String field) {
    String t = token.strip();
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw SightlineException.badRequest(
            "INVALID_TOKEN",
            field,
            field + " contains whitespace or control characters; give the token on one line");
      }
    }
    return SecretValue.of(t);
  }

  private static boolean printable(String s) {
    String t = s.strip();
    if (t.isEmpty()) {
      return false;
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static String tryDecodeToText(String text) {
    try {
      return new String(
          Pem.decodeBase64(text, "serviceAccountCertificate"), StandardCharsets.UTF_8);
    } catch (SightlineException e) {
      return null;
    }
  }
}
