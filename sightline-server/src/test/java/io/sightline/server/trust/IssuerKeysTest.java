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
import java.time.Instant;
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

  /** A clock tests move by hand. */
  static final class HandClock extends Clock {
    Instant now = Instant.parse("2026-11-29T12:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  @DisplayName(
      "keys are refetched after an hour; when the issuer is down the cached keys keep working")
  void staleKeysSurviveAnIssuerOutage() throws Exception {
    HandClock clock = new HandClock();
    FakeOidcIssuer ci = FakeOidcIssuer.start();
    Path ca = ci.writeCaBundle(tmp.resolve("ca.pem"));
    IssuerKeys keys =
        new IssuerKeys(OidcHttp.client(EgressPolicy.defaults(), ca), clock, Duration.ofSeconds(10));
    String issuer = ci.issuer();
    assertThat(keys.keys(issuer, "key-1")).hasSize(1);
    clock.now = clock.now.plus(Duration.ofMinutes(59));
    assertThat(keys.keys(issuer, "key-1")).hasSize(1);
    assertThat(keys.fetches()).as("cached within the hour").isEqualTo(1);
    ci.close();
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertThat(keys.keys(issuer, "key-1")).as("stale keys while the issuer is down").hasSize(1);
    assertThat(keys.fetches()).isEqualTo(1);
  }
}
