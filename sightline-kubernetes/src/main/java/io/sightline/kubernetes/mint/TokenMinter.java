package io.sightline.kubernetes.mint;

import static io.sightline.kubernetes.provision.ProvisionNames.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authentication.BoundObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.mint.internal.Jwts;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mints and revokes lease tokens with a connection's minter credential (DESIGN.md "How credentials
 * are issued", per task at run time).
 *
 * <p>{@link #mint} writes the Secret {@code sightline-lease-<id>} in the home namespace, then asks
 * for a TokenRequest for the deployer with {@code boundObjectRef} = that Secret; {@link #revoke}
 * deletes the Secret by name, after which the API server refuses the token (it may keep serving a
 * cached authentication for about 10 s). The minter may create and delete Secrets but not read or
 * list them: a reaper goes by name, from the caller's lease table.
 *
 * <p>The client is the caller's (built from the minter's token from explicit values) and is not
 * closed here.
 */
public final class TokenMinter {
  private static final Logger log = LoggerFactory.getLogger(TokenMinter.class);

  private final KubernetesClient minter;

  public TokenMinter(KubernetesClient minter) {
    this.minter = Objects.requireNonNull(minter, "minter");
  }

  /**
   * Mints the lease's token. Idempotent by lease id: when the Secret exists already (a retry after
   * a crash or a timeout), it is reused, and the token is bound to it.
   */
  public MintedToken mint(MintRequest request) {
    String ns = request.homeNamespace();
    String secretName = request.secretName();
    Instant expiresAt =
        request.expiresAt() != null ? request.expiresAt() : Instant.now().plus(request.ttl());
    String secretUid = createLeaseSecret(request, expiresAt);
    boolean createdNow = secretUid != null;

    TokenRequest tokenRequest =
        new TokenRequestBuilder()
            .withNewSpec()
            .withExpirationSeconds(request.ttl().toSeconds())
            .withAudiences(request.audiences())
            .withBoundObjectRef(
                new BoundObjectReferenceBuilder()
                    .withApiVersion("v1")
                    .withKind("Secret")
                    .withName(secretName)
                    .withUid(secretUid)
                    .build())
            .endSpec()
            .build();
    TokenRequest answer;
    try {
      answer =
          minter
              .serviceAccounts()
              .inNamespace(ns)
              .withName(request.deployer())
              .tokenRequest(tokenRequest);
    } catch (KubernetesClientException e) {
      if (createdNow) {
        deleteQuietly(ns, secretName);
      }
      throw mintError(request, e);
    }
    String token = answer.getStatus() == null ? null : answer.getStatus().getToken();
    if (token == null || token.isEmpty()) {
      if (createdNow) {
        deleteQuietly(ns, secretName);
      }
      throw new SightlineException(
          "MINT_FAILED",
          502,
          null,
          "the cluster answered the TokenRequest for serviceaccount "
              + ns
              + "/"
              + request.deployer()
              + " without a token",
          null,
          null);
    }
    JsonNode claims = Jwts.unverifiedClaims(token);
    Instant exp =
        claims.hasNonNull("exp")
            ? Instant.ofEpochSecond(claims.get("exp").asLong())
            : expiryOf(answer, expiresAt);
    String jti = claims.hasNonNull("jti") ? claims.get("jti").asText() : null;
    JsonNode bound = claims.path("kubernetes.io").path("secret");
    String boundUid = bound.hasNonNull("uid") ? bound.get("uid").asText() : secretUid;
    if (boundUid == null
        && answer.getSpec() != null
        && answer.getSpec().getBoundObjectRef() != null) {
      boundUid = answer.getSpec().getBoundObjectRef().getUid();
    }
    String subject = claims.hasNonNull("sub") ? claims.get("sub").asText() : null;
    if (subject == null) {
      subject = "system:serviceaccount:" + ns + ":" + request.deployer();
    }
    log.info(
        "minted token for lease {} as {} (jti {}, expires {}, bound to secret {}/{})",
        request.leaseId(),
        subject,
        jti,
        exp,
        ns,
        secretName);
    return new MintedToken(
        SecretValue.of(token), exp, jti, sha256(token), subject, secretName, boundUid);
  }

  /**
   * Revokes a lease's token by deleting its Secret. Answers true when the Secret was deleted now,
   * false when it was already gone (revoking twice is a success).
   */
  public boolean revoke(String leaseId, String homeNamespace) {
    // Validates the id and namespace the same way minting does.
    MintRequest.of(leaseId, homeNamespace, "x", MintRequest.MIN_TTL);
    String name = leaseSecret(leaseId);
    try {
      var details = minter.secrets().inNamespace(homeNamespace).withName(name).delete();
      boolean deleted = details != null && !details.isEmpty();
      log.info(
          "revoked lease {}: secret {}/{} {}",
          leaseId,
          homeNamespace,
          name,
          deleted ? "deleted" : "was already gone");
      return deleted;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw clusterError("delete secret " + homeNamespace + "/" + name, e);
    }
  }

  /** Creates the lease Secret; answers its uid, or null when it existed already (a retry). */
  private String createLeaseSecret(MintRequest request, Instant expiresAt) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_MANAGED_BY, MANAGED_BY);
    labels.put(LABEL_COMPONENT, "lease");
    labels.put(LABEL_LEASE, request.leaseId());
    labels.put(LABEL_EXPIRES, Long.toString(expiresAt.getEpochSecond()));
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(request.secretName())
            .withNamespace(request.homeNamespace())
            .withLabels(labels)
            .addToAnnotations("sightline.io/deployer", request.deployer())
            .endMetadata()
            .withType("Opaque")
            .build();
    try {
      Secret created =
          minter.secrets().inNamespace(request.homeNamespace()).resource(secret).create();
      return created.getMetadata().getUid();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        log.info(
            "secret {}/{} exists already: lease {} is being retried, reusing it",
            request.homeNamespace(),
            request.secretName(),
            request.leaseId());
        return null;
      }
      throw mintError(request, e);
    }
  }

  private void deleteQuietly(String ns, String name) {
    try {
      minter.secrets().inNamespace(ns).withName(name).delete();
    } catch (KubernetesClientException e) {
      log.warn(
          "could not delete secret {}/{} after a failed mint ({}); the lease reaper will",
          ns,
          name,
          e.getCode());
    }
  }

  private static Instant expiryOf(TokenRequest answer, Instant fallback) {
    if (answer.getStatus() != null && answer.getStatus().getExpirationTimestamp() != null) {
      try {
        return Instant.parse(answer.getStatus().getExpirationTimestamp());
      } catch (RuntimeException e) {
        return fallback;
      }
    }
    return fallback;
  }

  private static SightlineException mintError(MintRequest r, KubernetesClientException e) {
    int code = e.getCode();
    String msg =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : "";
    String who = "serviceaccount " + r.homeNamespace() + "/" + r.deployer();
    if (code == 401) {
      return new SightlineException(
          "UNAUTHORIZED",
          401,
          null,
          "the cluster rejected the connection's minter token (401): it was revoked or the"
              + " cluster was rebuilt; re-provision the connection (renewServiceAccount)",
          null,
          e);
    }
    if (code == 403) {
      return new SightlineException(
          "MINTER_FORBIDDEN",
          403,
          null,
          "the minter may not mint a token for "
              + who
              + " or write its lease Secret ("
              + msg
              + "); re-provision the connection so its Role names this deployer",
          null,
          e);
    }
    if (code == 404) {
      return new SightlineException(
          "DEPLOYER_NOT_FOUND",
          404,
          "namespace",
          who
              + " does not exist: the namespace is not provisioned for this connection;"
              + " re-provision it with this target namespace",
          null,
          e);
    }
    if (code == 422 || code == 400) {
      return new SightlineException(
          "MINT_REFUSED",
          400,
          "ttlSeconds",
          "the cluster refused the TokenRequest for " + who + ": " + msg,
          null,
          e);
    }
    return clusterError("mint a token for " + who, e);
  }

  private static SightlineException clusterError(String what, KubernetesClientException e) {
    if (e.getCode() <= 0) {
      return new SightlineException(
          "CLUSTER_UNREACHABLE",
          503,
          null,
          "could not " + what + ": the cluster did not answer; try again",
          30,
          e);
    }
    if (e.getCode() == 401) {
      return new SightlineException(
          "UNAUTHORIZED",
          401,
          null,
          "the cluster rejected the connection's minter token (401); re-provision the connection",
          null,
          e);
    }
    return new SightlineException(
        "CLUSTER_ERROR", 502, null, "could not " + what + " (HTTP " + e.getCode() + ")", null, e);
  }

  static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
