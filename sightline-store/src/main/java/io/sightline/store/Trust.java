package io.sightline.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may ask for leases besides API tokens: trusted OIDC issuers (a CI's ID-token issuer, its
 * audiences, an optional subject pin, and the preset that maps its claims to a pipeline identity),
 * and each connection's pipeline permissions. Nothing here is secret.
 */
public interface Trust {

  /** A trusted issuer as stored. */
  record TrustedIssuer(
      String id,
      String name,
      String preset,
      String issuer,
      List<String> audiences,
      String subjectPrefix,
      String subjectPattern,
      List<String> claims,
      Instant createdAt,
      String createdBy) {
    public TrustedIssuer {
      audiences = List.copyOf(audiences);
      claims = claims == null ? List.of() : List.copyOf(claims);
    }
  }

  /** What {@link #add} writes; validated by the caller (the server's trust routes). */
  record NewTrustedIssuer(
      String name,
      String preset,
      String issuer,
      List<String> audiences,
      String subjectPrefix,
      String subjectPattern,
      List<String> claims) {
    public NewTrustedIssuer {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(preset, "preset");
      Objects.requireNonNull(issuer, "issuer");
      audiences = List.copyOf(audiences);
      claims = claims == null ? List.of() : List.copyOf(claims);
    }
  }

  /**
   * Which pipeline identities may lease through a connection: every identity from a trusted issuer
   * ({@code allPipelines}), or those matching one of {@code patterns}.
   */
  record PipelinePermissions(boolean allPipelines, List<String> patterns) {
    /** No pipeline may use the connection (the default). */
    public static final PipelinePermissions NONE = new PipelinePermissions(false, List.of());

    public PipelinePermissions {
      patterns = patterns == null ? List.of() : List.copyOf(patterns);
    }
  }

  /**
   * Adds a trusted issuer.
   *
   * @throws io.sightline.core.SightlineException 409 {@code TRUST_EXISTS} when the name is taken
   */
  TrustedIssuer add(NewTrustedIssuer issuer, String createdBy);

  Optional<TrustedIssuer> find(String name);

  /** Every trusted issuer, by name. */
  List<TrustedIssuer> list();

  /** The trusted issuers whose issuer URL is exactly {@code issuer} (several may pin subjects). */
  List<TrustedIssuer> byIssuer(String issuer);

  /** Removes a trusted issuer; false when there is none of that name. */
  boolean remove(String name);

  /** A connection's pipeline permissions; {@link PipelinePermissions#NONE} when never set. */
  PipelinePermissions permissions(String connectionId);

  /** Sets (replaces) a connection's pipeline permissions. */
  void setPermissions(String connectionId, PipelinePermissions permissions, String updatedBy);
}
