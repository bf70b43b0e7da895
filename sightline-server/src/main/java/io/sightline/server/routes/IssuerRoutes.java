package io.sightline.server.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.azure.OidcIssuer;
import io.sightline.core.Role;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.server.issuer.OidcSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * The server as an OIDC issuer: the public discovery document and JWKS Entra fetches, the issuer's
 * settings and keys for operators, and the admin rotation.
 */
public final class IssuerRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Discovery changes only with the configuration. */
  static final String DISCOVERY_CACHE = "public, max-age=3600";

  /** A staged key is published days before it signs; a short max-age keeps emergencies short. */
  static final String JWKS_CACHE = "public, max-age=300";

  public record IssuerKey(
      @ApiField("the JWK key id (`kid`) assertions name") String keyId,
      @ApiField(example = "RS256") String algorithm,
      @ApiField(
              "next (published, not signing yet), active (signs now) or retired (published until"
                  + " its last assertion expired)")
          String state,
      Instant createdAt,
      Instant activatedAt,
      Instant retiredAt,
      @ApiField("for the next key: when the scheduled rotation lets it sign") Instant signsFrom) {}

  public record IssuerInfo(
      @ApiField("the `iss` of the server's assertions; Entra fetches the documents below from it")
          String issuerUrl,
      String discoveryUrl,
      String jwksUri,
      @ApiField("the server's name in subjects") String serverName,
      @ApiField(
              "the federated credential's subject for a connection: replace <connection> with its"
                  + " name")
          String subjectPattern,
      @ApiField("the federated credential's audience") String audience,
      long keyRotationSeconds,
      long publishAheadSeconds,
      List<IssuerKey> keys,
      String message) {}

  public record RotateIssuerKeyRequest(
      @ApiField(
              "false (default): publish the next key now; it signs once published for"
                  + " sightline.oidc.key-publish-ahead. true: the next key signs now (re-export"
                  + " static documents first: Entra refuses assertions from a key it does not know)")
          Boolean now) {}

  private IssuerRoutes() {}

  public static List<ApiRoute> routes(Services s, OidcSettings settings) {
    OidcIssuer issuer = s.oidcIssuer();
    return List.of(
        ApiRoute.get(
                OidcIssuer.DISCOVERY_PATH,
                null,
                "The OIDC discovery document of the server as an issuer (no token needed)")
            .returns(JsonNode.class)
            .handle(
                c -> {
                  c.header("Cache-Control", DISCOVERY_CACHE);
                  return tree(issuer.discoveryJson());
                }),
        ApiRoute.get(
                OidcIssuer.JWKS_PATH,
                null,
                "The issuer's public signing keys: the active, a staged next and retired ones still"
                    + " in overlap (no token needed)")
            .returns(JsonNode.class)
            .handle(
                c -> {
                  c.header("Cache-Control", JWKS_CACHE);
                  return tree(issuer.jwksJson());
                }),
        ApiRoute.get(
                "/api/v1/issuer",
                Role.READER,
                "The OIDC issuer: URL, subject pattern, audience and signing keys with their states")
            .returns(IssuerInfo.class)
            .handle(c -> info(issuer, settings, null)),
        ApiRoute.post(
                "/api/v1/admin/rotate-issuer-key",
                Role.ADMIN,
                "Rotate the OIDC issuer's signing key: publish the next key (default), or let it"
                    + " sign now")
            .body(RotateIssuerKeyRequest.class)
            .returns(IssuerInfo.class)
            .handle(c -> rotate(issuer, settings, c)));
  }

  private static IssuerInfo rotate(OidcIssuer issuer, OidcSettings settings, Call c) {
    RotateIssuerKeyRequest req = c.optionalBody(RotateIssuerKeyRequest.class);
    boolean now = req != null && Boolean.TRUE.equals(req.now());
    String message;
    if (now) {
      String kid = issuer.rotate(c.actor());
      message =
          "key "
              + kid
              + " signs from now on; the previous key stays published until its last assertion"
              + " has expired. If the issuer documents are hosted as static files, run `sightline"
              + " issuer export` and publish them now.";
    } else {
      String kid = issuer.stageNextKey(c.actor());
      Instant from =
          issuer.keys().stream()
              .filter(k -> k.keyId().equals(kid))
              .findFirst()
              .map(k -> k.createdAt().plus(settings.publishAhead()))
              .orElse(null);
      message =
          "key "
              + kid
              + " is published and signs from "
              + from
              + ". If the issuer documents are hosted as static files, run `sightline issuer"
              + " export` and publish them before then.";
    }
    return info(issuer, settings, message);
  }

  static IssuerInfo info(OidcIssuer issuer, OidcSettings settings, String message) {
    List<IssuerKey> keys =
        issuer.keys().stream()
            .map(
                k ->
                    new IssuerKey(
                        k.keyId(),
                        k.algorithm(),
                        k.state().name().toLowerCase(java.util.Locale.ROOT),
                        k.createdAt(),
                        k.activatedAt(),
                        k.retiredAt(),
                        k.state() == OidcIssuer.KeyState.NEXT
                            ? k.createdAt().plus(settings.publishAhead())
                            : null))
            .toList();
    return new IssuerInfo(
        issuer.issuerUrl(),
        issuer.issuerUrl() + OidcIssuer.DISCOVERY_PATH,
        issuer.jwksUri(),
        issuer.serverName(),
        issuer.subject("<connection>"),
        OidcIssuer.TOKEN_EXCHANGE_AUDIENCE,
        settings.keyRotation().toSeconds(),
        settings.publishAhead().toSeconds(),
        keys,
        message);
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
