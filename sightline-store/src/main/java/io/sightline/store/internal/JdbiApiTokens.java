package io.sightline.store.internal;

import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.ApiTokens;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/** API tokens; only the SHA-256 (hex) of a token is stored, and looked up by it. */
final class JdbiApiTokens implements ApiTokens {
  static final String PREFIX = "slt_";
  private static final Pattern BOOTSTRAP = Pattern.compile("slt_[A-Za-z0-9_-]{43,200}");
  private static final int MAX_PRESENTED = 300;
  private static final Duration MAX_TTL = Duration.ofDays(3650);

  private final Handle h;
  private final Clock clock;
  private final boolean postgres;

  JdbiApiTokens(Handle h, Clock clock, boolean postgres) {
    this.h = h;
    this.clock = clock;
    this.postgres = postgres;
  }

  @Override
  public CreatedToken create(
      String name, Role role, List<String> groups, Duration ttl, String createdBy) {
    String cleanName = text(name, "name", 200);
    if (role == null) {
      throw SightlineException.badRequest(
          "INVALID_ROLE", "role", "role must be one of admin, creator, user, reader");
    }
    List<String> cleanGroups = groups(groups);
    Duration validTtl = ttl(ttl);
    String creator = createdBy == null || createdBy.isBlank() ? "system" : createdBy.strip();
    if (creator.length() > 200) {
      creator = creator.substring(0, 200);
    }
    String value =
        PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(Crypto.randomBytes(32));
    SecretValue secret = SecretValue.of(value);
    Instant now = Sql.millis(clock.instant());
    ApiToken token =
        new ApiToken(
            Crypto.randomId(6),
            cleanName,
            role,
            cleanGroups,
            now,
            Sql.millis(now.plus(validTtl)),
            null,
            creator);
    insert(token, Crypto.sha256Hex(value), false);
    return new CreatedToken(token, secret);
  }

  @Override
  public ApiToken importBootstrap(SecretValue value, Duration ttl) {
    if (value == null || !BOOTSTRAP.matcher(value.reveal()).matches()) {
      throw SightlineException.badRequest(
          "INVALID_BOOTSTRAP_TOKEN",
          "SIGHTLINE_BOOTSTRAP_TOKEN",
          "SIGHTLINE_BOOTSTRAP_TOKEN must be slt_ followed by at least 43 base64url characters"
              + " (256 random bits), e.g. slt_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')");
    }
    Duration validTtl = ttl(ttl);
    String hash = Crypto.sha256Hex(value.reveal());
    Optional<ApiToken> existing = byHash(hash);
    if (existing.isPresent()) {
      return existing.get();
    }
    Instant now = Sql.millis(clock.instant());
    ApiToken token =
        new ApiToken(
            Crypto.randomId(6),
            "bootstrap",
            Role.ADMIN,
            List.of(),
            now,
            Sql.millis(now.plus(validTtl)),
            null,
            "system");
    insert(token, hash, postgres);
    return byHash(hash).orElseThrow();
  }

  @Override
  public Optional<ApiToken> authenticate(String presented, Instant now) {
    if (presented == null || !presented.startsWith(PREFIX) || presented.length() > MAX_PRESENTED) {
      return Optional.empty();
    }
    return byHash(Crypto.sha256Hex(presented)).filter(t -> t.isActive(now));
  }

  @Override
  public List<ApiToken> list() {
    return h.createQuery("SELECT * FROM api_tokens ORDER BY created_at DESC, id")
        .map(JdbiApiTokens::map)
        .list();
  }

  @Override
  public Optional<ApiToken> find(String id) {
    if (id == null || id.length() > 32) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM api_tokens WHERE id = :id")
        .bind("id", id)
        .map(JdbiApiTokens::map)
        .findOne();
  }

  @Override
  public boolean revoke(String id, Instant now) {
    if (find(id).isEmpty()) {
      return false;
    }
    h.createUpdate("UPDATE api_tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
        .bind("id", id)
        .bind("now", Sql.instant(now))
        .execute();
    return true;
  }

  @Override
  public long count() {
    return h.createQuery("SELECT COUNT(*) FROM api_tokens").mapTo(Long.class).one();
  }

  private Optional<ApiToken> byHash(String hash) {
    return h.createQuery("SELECT * FROM api_tokens WHERE token_hash = :hash")
        .bind("hash", hash)
        .map(JdbiApiTokens::map)
        .findOne();
  }

  private void insert(ApiToken t, String hash, boolean ignoreDuplicate) {
    h.createUpdate(
            "INSERT INTO api_tokens (id, token_hash, name, role, group_names, created_at,"
                + " expires_at, revoked_at, created_by) VALUES (:id, :hash, :name, :role,"
                + " :groups, :created, :expires, NULL, :by)"
                + (ignoreDuplicate ? " ON CONFLICT (token_hash) DO NOTHING" : ""))
        .bind("id", t.id())
        .bind("hash", hash)
        .bind("name", t.name())
        .bind("role", t.role().wireName())
        .bind("groups", String.join("\n", t.groups()))
        .bind("created", Sql.instant(t.createdAt()))
        .bind("expires", Sql.instant(t.expiresAt()))
        .bind("by", t.createdBy())
        .execute();
  }

  private static ApiToken map(ResultSet rs, StatementContext ctx) throws SQLException {
    String groups = rs.getString("group_names");
    return new ApiToken(
        rs.getString("id"),
        rs.getString("name"),
        Role.valueOf(rs.getString("role").toUpperCase(Locale.ROOT)),
        groups == null || groups.isEmpty() ? List.of() : Arrays.asList(groups.split("\n")),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "expires_at"),
        Sql.instant(rs, "revoked_at"),
        rs.getString("created_by"));
  }

  private static String text(String value, String field, int max) {
    if (value == null || value.isBlank()) {
      throw SightlineException.badRequest(
          "INVALID_" + field.toUpperCase(Locale.ROOT), field, field + " must not be empty");
    }
    String v = value.strip();
    if (v.length() > max || v.chars().anyMatch(Character::isISOControl)) {
      throw SightlineException.badRequest(
          "INVALID_" + field.toUpperCase(Locale.ROOT),
          field,
          field + " must be at most " + max + " characters, without control characters");
    }
    return v;
  }

  private static List<String> groups(List<String> groups) {
    if (groups == null) {
      return List.of();
    }
    if (groups.size() > 50) {
      throw SightlineException.badRequest(
          "INVALID_GROUPS", "groups", "groups may name at most 50 groups");
    }
    return groups.stream().map(g -> text(g, "groups", 200)).distinct().toList();
  }

  private static Duration ttl(Duration ttl) {
    if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
      throw SightlineException.badRequest(
          "INVALID_TTL",
          "ttlSeconds",
          "ttlSeconds must be a positive number of seconds, at most " + MAX_TTL.toSeconds());
    }
    return ttl;
  }
}
