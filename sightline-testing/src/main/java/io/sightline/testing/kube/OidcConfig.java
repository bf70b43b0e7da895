package io.sightline.testing.kube;

import com.nimbusds.jose.jwk.JWKSet;
import java.net.URI;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * An OIDC issuer the emulator trusts, as kube-apiserver's {@code --oidc-*} flags configure it (this
 * is how AKS with Entra ID authenticates users). Keys come either inline ({@link
 * Builder#jwks(JWKSet)}) or from a JWKS URL fetched on first use and again when a token names an
 * unknown key id.
 */
public final class OidcConfig {

  private final String issuerUrl;
  private final String clientId;
  private final JWKSet jwks;
  private final URI jwksUrl;
  private final SSLContext sslContext;
  private final String usernameClaim;
  private final String usernamePrefix;
  private final String groupsClaim;
  private final String groupsPrefix;

  private OidcConfig(Builder b) {
    this.issuerUrl = Objects.requireNonNull(b.issuerUrl, "issuerUrl");
    this.clientId = Objects.requireNonNull(b.clientId, "clientId (the expected audience)");
    if (b.jwks == null && b.jwksUrl == null) {
      throw new IllegalArgumentException("OIDC needs jwks(...) or jwksUrl(...)");
    }
    this.jwks = b.jwks;
    this.jwksUrl = b.jwksUrl;
    this.sslContext = b.sslContext;
    this.usernameClaim = b.usernameClaim;
    this.usernamePrefix = b.usernamePrefix;
    this.groupsClaim = b.groupsClaim;
    this.groupsPrefix = b.groupsPrefix;
  }

  /** A configuration for tokens whose {@code iss} is exactly {@code issuerUrl}. */
  public static Builder builder(String issuerUrl) {
    Builder b = new Builder();
    b.issuerUrl = issuerUrl;
    return b;
  }

  public String issuerUrl() {
    return issuerUrl;
  }

  public String clientId() {
    return clientId;
  }

  public JWKSet jwks() {
    return jwks;
  }

  public URI jwksUrl() {
    return jwksUrl;
  }

  public SSLContext sslContext() {
    return sslContext;
  }

  public String usernameClaim() {
    return usernameClaim;
  }

  public String usernamePrefix() {
    return usernamePrefix;
  }

  public String groupsClaim() {
    return groupsClaim;
  }

  public String groupsPrefix() {
    return groupsPrefix;
  }

  /** Builder; defaults as kube-apiserver: username from {@code sub}, no groups claim, no prefix. */
  public static final class Builder {
    private String issuerUrl;
    private String clientId;
    private JWKSet jwks;
    private URI jwksUrl;
    private SSLContext sslContext;
    private String usernameClaim = "sub";
    private String usernamePrefix = "";
    private String groupsClaim;
    private String groupsPrefix = "";

    private Builder() {}

    /** {@code --oidc-client-id}: the audience tokens must carry. */
    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    /** The issuer's public keys, inline. */
    public Builder jwks(JWKSet jwks) {
      this.jwks = jwks.toPublicJWKSet();
      return this;
    }

    /** Where to fetch the keys; {@code sslContext} may be null for the JVM default trust. */
    public Builder jwksUrl(URI jwksUrl, SSLContext sslContext) {
      this.jwksUrl = jwksUrl;
      this.sslContext = sslContext;
      return this;
    }

    /** {@code --oidc-username-claim} and {@code --oidc-username-prefix}. */
    public Builder usernameClaim(String claim, String prefix) {
      this.usernameClaim = claim;
      this.usernamePrefix = prefix == null ? "" : prefix;
      return this;
    }

    /** {@code --oidc-groups-claim} and {@code --oidc-groups-prefix}. */
    public Builder groupsClaim(String claim, String prefix) {
      this.groupsClaim = claim;
      this.groupsPrefix = prefix == null ? "" : prefix;
      return this;
    }

    public OidcConfig build() {
      return new OidcConfig(this);
    }
  }
}
