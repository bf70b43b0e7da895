package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sightline.core.SightlineException;
import io.sightline.testing.pki.TestCa;
import org.junit.jupiter.api.Test;

class ServiceAccountSecretParserTest {
  private static final TestCa PKI = TestCa.create("sa-test-ca");
  private static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl";

  private static String wrapped(String b64) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < b64.length(); i += 40) {
      sb.append("    ").append(b64, i, Math.min(b64.length(), i + 40)).append('\n');
    }
    return sb.toString();
  }

  private static String yaml(String token, String ca) {
    return """
        apiVersion: v1
        data:
          ca.crt: %s
          namespace: %s
          token: %s
        kind: Secret
        metadata:
          annotations:
            kubernetes.io/service-account.name: sightline-minter
            kubernetes.io/service-account.uid: 6f6b2d2c
          name: sightline-minter-token
          namespace: sightline-prod
        type: kubernetes.io/service-account-token
        """
        .formatted(ca, Base64Text.b64("sightline-prod"), token);
  }

  @Test
  void aSecretAsKubectlPrintsItYieldsTokenCaNamespaceAndServiceAccount() {
    ServiceAccountCredential c =
        ServiceAccountSecretParser.parse(yaml(Base64Text.b64(JWT), Base64Text.b64(PKI.certPem())));
    assertThat(c.token().reveal()).isEqualTo(JWT);
    assertThat(c.caPem()).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(c.namespace()).isEqualTo("sightline-prod");
    assertThat(c.serviceAccountName()).isEqualTo("sightline-minter");
    assertThat(c.toString()).doesNotContain(JWT);
    ClusterAccess access = ServiceAccountSecretParser.access("https://127.0.0.1:6443/", c, false);
    assertThat(access.server()).isEqualTo("https://127.0.0.1:6443");
    assertThat(access.bearerToken().reveal()).isEqualTo(JWT);
  }

  @Test
  void theJsonFormIsAcceptedToo() {
    String json =
        """
        {"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token",
         "metadata":{"name":"t","namespace":"ns1"},
         "data":{"token":"%s","ca.crt":"%s"}}
        """
            .formatted(Base64Text.b64(JWT), Base64Text.b64(PKI.certPem()));
    ServiceAccountCredential c = ServiceAccountSecretParser.parse(json);
    assertThat(c.token().reveal()).isEqualTo(JWT);
    assertThat(c.namespace()).isEqualTo("ns1");
  }

  @Test
  void wrappedBase64LinesAreTolerated() {
    String text =
        yaml("|\n" + wrapped(Base64Text.b64(JWT)), "|\n" + wrapped(Base64Text.b64(PKI.certPem())));
    ServiceAccountCredential c = ServiceAccountSecretParser.parse(text);
    assertThat(c.token().reveal()).isEqualTo(JWT);
    assertThat(c.caPem()).contains("BEGIN CERTIFICATE");
  }

  @Test
  void aTokenAndCaGivenDecodedAreAcceptedBecauseThatIsUnambiguous() {
    String text = yaml(JWT, "|\n" + PKI.certPem().indent(4));
    ServiceAccountCredential c = ServiceAccountSecretParser.parse(text);
    assertThat(c.token().reveal()).isEqualTo(JWT);
    assertThat(c.caPem()).contains("BEGIN CERTIFICATE");
  }

  @Test
  void stringDataIsReadAsIs() {
    String text =
        """
        kind: Secret
        type: kubernetes.io/service-account-token
        stringData:
          token: %s
        """
            .formatted(JWT);
    assertThat(ServiceAccountSecretParser.parse(text).token().reveal()).isEqualTo(JWT);
  }

  @Test
  void aSecretTheControllerHasNotFilledIsTokenNotPopulated() {
    String text =
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: t, annotations: {kubernetes.io/service-account.name: deployer}}
        type: kubernetes.io/service-account-token
        """;
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class, () -> ServiceAccountSecretParser.parse(text));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo("TOKEN_NOT_POPULATED");
    assertThat(e.field()).isEqualTo("serviceAccountSecret.data.token");
  }

  @Test
  void invalidBase64InTheTokenNamesTheField() {
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () ->
                ServiceAccountSecretParser.parse(
                    yaml("'***not base64***'", Base64Text.b64(PKI.certPem()))));
    assertThat(e.code()).isEqualTo("INVALID_BASE64");
    assertThat(e.field()).isEqualTo("serviceAccountSecret.data[\"token\"]");
  }

  @Test
  void aCaThatIsNotPemNamesTheFieldAndWhatWasExpected() {
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () ->
                ServiceAccountSecretParser.parse(
                    yaml(Base64Text.b64(JWT), Base64Text.b64("hello"))));
    assertThat(e.code()).isEqualTo("INVALID_PEM");
    assertThat(e.field()).isEqualTo("serviceAccountSecret.data[\"ca.crt\"]");
    assertThat(e.getMessage()).contains("BEGIN CERTIFICATE");
  }

  @Test
  void anotherKindOrSecretTypeIsRefused() {
    SightlineException kind =
        catchThrowableOfType(
            SightlineException.class,
            () -> ServiceAccountSecretParser.parse("kind: ConfigMap\ndata: {token: x}\n"));
    assertThat(kind.field()).isEqualTo("serviceAccountSecret.kind");
    SightlineException type =
        catchThrowableOfType(
            SightlineException.class,
            () ->
                ServiceAccountSecretParser.parse(
                    "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata: {token: eA==}\n"));
    assertThat(type.field()).isEqualTo("serviceAccountSecret.type");
    assertThat(type.getMessage()).contains("kubernetes.io/service-account-token");
  }

  @Test
  void aTokenAndCaPemCanBeGivenDirectly() {
    ServiceAccountCredential c =
        ServiceAccountSecretParser.fromTokenAndCa(" " + JWT + "\n", PKI.certPem());
    assertThat(c.token().reveal()).isEqualTo(JWT);
    assertThat(c.caPem()).contains("BEGIN CERTIFICATE");
    ServiceAccountCredential b64 =
        ServiceAccountSecretParser.fromTokenAndCa(JWT, Base64Text.b64(PKI.certPem()));
    assertThat(b64.caPem()).isEqualTo(c.caPem());
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () -> ServiceAccountSecretParser.fromTokenAndCa(JWT, "garbage!"));
    assertThat(e.field()).isEqualTo("serviceAccountCertificate");
    SightlineException empty =
        catchThrowableOfType(
            SightlineException.class, () -> ServiceAccountSecretParser.fromTokenAndCa("  ", null));
    assertThat(empty.field()).isEqualTo("apiToken");
  }
}
