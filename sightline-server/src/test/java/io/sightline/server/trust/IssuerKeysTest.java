package io.sightline.server.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.kubernetes.EgressPolicy;
import io.sightline.server.trust.internal.IssuerKeys;
import io.sightline.server.trust.internal.OidcHttp;
import io.sightline.testing.oidc.FakeOidcIssuer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IssuerKeysTest {
  @TempDir Path tmp;

  @Test
  @DisplayName("discovery and JWKS are fetched over HTTPS trusting the configured CA bundle")
  void fetchesKeysThroughDiscovery() throws Exception {
    try (FakeOidcIssuer ci = FakeOidcIssuer.start("/org-1")) {
      Path ca = ci.writeCaBundle(tmp.resolve("ca.pem"));
      IssuerKeys keys =
          new IssuerKeys(
              OidcHttp.client(EgressPolicy.defaults(), ca), Clock.systemUTC(), Duration.ZERO);
      assertThat(keys.keys(ci.issuer(), "key-1")).hasSize(1);
      assertThat(keys.keys(ci.issuer(), null)).hasSize(1);
      assertThat(ci.jwksRequests()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("without the issuer's CA the TLS handshake fails and no keys are had")
  void untrustedIssuerCertificate() {
    try (FakeOidcIssuer ci = FakeOidcIssuer.start()) {
      IssuerKeys keys =
          new IssuerKeys(
              OidcHttp.client(EgressPolicy.defaults(), null), Clock.systemUTC(), Duration.ZERO);
      assertThatThrownBy(() -> keys.keys(ci.issuer(), "key-1"))
          .isInstanceOf(IssuerKeys.FetchFailed.class)
          .hasMessageContaining("/.well-known/openid-configuration failed");
      assertThat(ci.jwksRequests()).isZero();
    }
  }

  @Test
  @DisplayName("the egress policy applies to issuer fetches at connect time")
  void egressPolicyApplies() throws Exception {
    try (FakeOidcIssuer ci = FakeOidcIssuer.start()) {
      Path ca = ci.writeCaBundle(tmp.resolve("ca.pem"));
      IssuerKeys keys =
          new IssuerKeys(
              OidcHttp.client(EgressPolicy.builder().deny("127.0.0.1/32").build(), ca),
              Clock.systemUTC(),
              Duration.ZERO);
      assertThatThrownBy(() -> keys.keys(ci.issuer(), "key-1"))
          .isInstanceOf(IssuerKeys.FetchFailed.class)
          .hasMessageContaining("egress");
      assertThat(ci.jwksRequests()).isZero();
    }
  }

  @Test
  @DisplayName(
      "an issuer without a discovery document, or whose document names another issuer, has no keys")
  void discoveryMustNameTheIssuer() throws Exception {
    try (FakeOidcIssuer ci = FakeOidcIssuer.start("/org-1")) {
      Path ca = ci.writeCaBundle(tmp.resolve("ca.pem"));
      IssuerKeys keys =
          new IssuerKeys(
              OidcHttp.client(EgressPolicy.defaults(), ca), Clock.systemUTC(), Duration.ZERO);
      // the same host, another path: its discovery answers 404 (there is none)
      String other = ci.issuer().replace("/org-1", "/org-2");
      assertThatThrownBy(() -> keys.keys(other, "key-1"))
          .isInstanceOf(IssuerKeys.FetchFailed.class)
          .hasMessageContaining("HTTP 404");
      // a trailing slash is another issuer URL than the one the document (and tokens) name
      assertThatThrownBy(() -> keys.keys(ci.issuer() + "/", "key-1"))
          .isInstanceOf(IssuerKeys.FetchFailed.class)
          .hasMessageContaining("names issuer " + ci.issuer() + ", not the trusted issuer URL");
      assertThat(ci.jwksRequests()).isZero();
    }
  }
}
