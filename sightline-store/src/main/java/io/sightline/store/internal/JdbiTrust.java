package io.sightline.store.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SightlineException;
import io.sightline.store.Trust;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** Trusted issuers and pipeline permissions in two tables (see V5__trust.sql). */
final class JdbiTrust implements Trust {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  private final Handle h;
  private final Clock clock;

  JdbiTrust(Handle h, Clock clock) {
    this.h = h;
    this.clock = clock;
  }

  @Override
  public TrustedIssuer add(NewTrustedIssuer t, String createdBy) {
    if (find(t.name()).isPresent()) {
      throw exists(t.name());
    }
    String id = UUID.randomUUID().toString();
    try {
      h.createUpdate(
              "INSERT INTO trusted_issuers (id, name, preset, issuer, audiences, subject_prefix,"
                  + " subject_pattern, claims, created_at, created_by) VALUES (:id, :name,"
                  + " :preset, :issuer, :aud, :prefix, :pattern, :claims, :now, :by)")
          .bind("id", id)
          .bind("name", t.name())
          .bind("preset", t.preset())
          .bind("issuer", t.issuer())
          .bind("aud", json(t.audiences()))
          .bind("prefix", t.subjectPrefix())
          .bind("pattern", t.subjectPattern())
          .bind("claims", json(t.claims()))
          .bind("now", Sql.instant(Sql.millis(clock.instant())))
          .bind("by", createdBy == null || createdBy.isBlank() ? "system" : createdBy)
          .execute();
    } catch (UnableToExecuteStatementException e) {
      if (Failures.isUniqueViolation(e)) {
        throw exists(t.name());
      }
      throw e;
    }
    return find(t.name()).orElseThrow();
  }

  private static SightlineException exists(String name) {
    return SightlineException.conflict(
        "TRUST_EXISTS",
        "a trusted issuer named "
            + name
            + " exists already: choose another name, or remove it first (DELETE /api/v1/trust/"
            + name
            + ")");
  }

  @Override
  public Optional<TrustedIssuer> find(String name) {
    if (name == null || name.length() > 63) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM trusted_issuers WHERE name = :n")
        .bind("n", name)
        .map((rs, ctx) -> map(rs))
        .findFirst();
  }

  @Override
  public List<TrustedIssuer> list() {
    return h.createQuery("SELECT * FROM trusted_issuers ORDER BY name")
        .map((rs, ctx) -> map(rs))
        .list();
  }

  @Override
  public List<TrustedIssuer> byIssuer(String issuer) {
    if (issuer == null || issuer.length() > 2048) {
      return List.of();
    }
    return h.createQuery("SELECT * FROM trusted_issuers WHERE issuer = :i ORDER BY name")
        .bind("i", issuer)
        .map((rs, ctx) -> map(rs))
        .list();
  }

  @Override
  public boolean remove(String name) {
    return h.createUpdate("DELETE FROM trusted_issuers WHERE name = :n").bind("n", name).execute()
        > 0;
  }

  @Override
  public PipelinePermissions permissions(String connectionId) {
    return h.createQuery("SELECT * FROM connection_pipeline_permissions WHERE connection_id = :id")
        .bind("id", connectionId)
        .map(
            (rs, ctx) ->
                new PipelinePermissions(
                    rs.getBoolean("all_pipelines"), parse(rs.getString("patterns"))))
        .findFirst()
        .orElse(PipelinePermissions.NONE);
  }

  @Override
  public void setPermissions(String connectionId, PipelinePermissions p, String updatedBy) {
    h.createUpdate("DELETE FROM connection_pipeline_permissions WHERE connection_id = :id")
        .bind("id", connectionId)
        .execute();
    h.createUpdate(
            "INSERT INTO connection_pipeline_permissions (connection_id, all_pipelines, patterns,"
                + " updated_at, updated_by) VALUES (:id, :all, :patterns, :now, :by)")
        .bind("id", connectionId)
        .bind("all", p.allPipelines())
        .bind("patterns", json(p.patterns()))
        .bind("now", Sql.instant(Sql.millis(clock.instant())))
        .bind("by", updatedBy == null || updatedBy.isBlank() ? "system" : updatedBy)
        .execute();
  }

  private static TrustedIssuer map(ResultSet rs) throws SQLException {
    Instant created = Sql.instant(rs, "created_at");
    return new TrustedIssuer(
        rs.getString("id"),
        rs.getString("name"),
        rs.getString("preset"),
        rs.getString("issuer"),
        parse(rs.getString("audiences")),
        rs.getString("subject_prefix"),
        rs.getString("subject_pattern"),
        parse(rs.getString("claims")),
        created,
        rs.getString("created_by"));
  }

  private static String json(List<String> values) {
    try {
      return JSON.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> parse(String json) {
    try {
      return JSON.readValue(json, STRINGS);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is not a list of strings", e);
    }
  }
}
