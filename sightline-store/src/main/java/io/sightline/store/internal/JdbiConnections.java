package io.sightline.store.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.Connections;
import io.sightline.store.Sealer;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** Connections in four tables (see V2__connections.sql); secret fields sealed one by one. */
final class JdbiConnections implements Connections {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {};
  private static final String MINTER = "minterToken";

  private final Handle h;
  private final Sealer sealer;
  private final Clock clock;

  JdbiConnections(Handle h, Sealer sealer, Clock clock) {
    this.h = h;
    this.sealer = sealer;
    this.clock = clock;
  }

  static String context(String id, String field) {
    return "connection/" + id + "/" + field;
  }

  @Override
  public ConnectionRecord create(ConnectionWrite w, String createdBy) {
    if (find(w.name()).isPresent()) {
      throw exists(w.name());
    }
    String id = UUID.randomUUID().toString();
    Instant now = Sql.millis(clock.instant());
    try {
      h.createUpdate(
              "INSERT INTO connections (id, name, kind, authorization_type, description, fields,"
                  + " server_url, verified, verified_at, created_at, updated_at, created_by)"
                  + " VALUES (:id, :name, :kind, :auth, :description, :fields, :server, :verified,"
                  + " :verifiedAt, :now, :now, :by)")
          .bind("id", id)
          .bind("name", w.name())
          .bind("kind", w.kind())
          .bind("auth", w.authorizationType())
          .bind("description", w.description())
          .bind("fields", json(w.fields()))
          .bind("server", w.serverUrl())
          .bind("verified", w.verified())
          .bind("verifiedAt", Sql.instant(w.verifiedAt()))
          .bind("now", Sql.instant(now))
          .bind("by", createdBy == null || createdBy.isBlank() ? "system" : createdBy)
          .execute();
    } catch (UnableToExecuteStatementException e) {
      if (isUniqueViolation(e)) {
        throw exists(w.name());
      }
      throw e;
    }
    writeSecrets(id, w.secrets());
    return findById(id).orElseThrow();
  }

  private static SightlineException exists(String name) {
    return SightlineException.conflict(
        "CONNECTION_EXISTS",
        "a connection named "
            + name
            + " exists already: choose another name, or update it with PUT /api/v1/connections/"
            + name);
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && "23505".equals(s.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private void writeSecrets(String id, Map<String, SecretValue> secrets) {
    for (Map.Entry<String, SecretValue> e : secrets.entrySet()) {
      byte[] sealed = sealer.seal(e.getValue(), context(id, e.getKey()));
      h.createUpdate("DELETE FROM connection_secrets WHERE connection_id = :id AND field = :f")
          .bind("id", id)
          .bind("f", e.getKey())
          .execute();
      h.createUpdate(
              "INSERT INTO connection_secrets (connection_id, field, sealed) VALUES (:id, :f, :s)")
          .bind("id", id)
          .bind("f", e.getKey())
          .bind("s", sealed)
          .execute();
    }
  }

  @Override
  public ConnectionRecord update(String id, ConnectionWrite w, Set<String> removeSecrets) {
    Instant now = Sql.millis(clock.instant());
    int n =
        h.createUpdate(
                "UPDATE connections SET kind = :kind, authorization_type = :auth, description ="
                    + " :description, fields = :fields, server_url = :server, verified = :verified,"
                    + " verified_at = :verifiedAt, updated_at = :now WHERE id = :id")
            .bind("id", id)
            .bind("kind", w.kind())
            .bind("auth", w.authorizationType())
            .bind("description", w.description())
            .bind("fields", json(w.fields()))
            .bind("server", w.serverUrl())
            .bind("verified", w.verified())
            .bind("verifiedAt", Sql.instant(w.verifiedAt()))
            .bind("now", Sql.instant(now))
            .execute();
    if (n == 0) {
      throw SightlineException.notFound("CONNECTION_NOT_FOUND", "no connection with id " + id);
    }
    for (String f : removeSecrets) {
      h.createUpdate("DELETE FROM connection_secrets WHERE connection_id = :id AND field = :f")
          .bind("id", id)
          .bind("f", f)
          .execute();
    }
    writeSecrets(id, w.secrets());
    return findById(id).orElseThrow();
  }

  @Override
  public Optional<ConnectionRecord> find(String name) {
    if (name == null || name.length() > 63) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM connections WHERE name = :n")
        .bind("n", name)
        .map((rs, ctx) -> map(rs))
        .findFirst();
  }

  @Override
  public Optional<ConnectionRecord> findById(String id) {
    if (id == null || id.length() > 36) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM connections WHERE id = :id")
        .bind("id", id)
        .map((rs, ctx) -> map(rs))
        .findFirst();
  }

  @Override
  public List<ConnectionRecord> list() {
    return h.createQuery("SELECT * FROM connections ORDER BY name")
        .map((rs, ctx) -> map(rs))
        .list();
  }

  private ConnectionRecord map(ResultSet rs) throws SQLException {
    String id = rs.getString("id");
    Set<String> secretFields =
        new TreeSet<>(
            h.createQuery("SELECT field FROM connection_secrets WHERE connection_id = :id")
                .bind("id", id)
                .mapTo(String.class)
                .list());
    return new ConnectionRecord(
        id,
        rs.getString("name"),
        rs.getString("kind"),
        rs.getString("authorization_type"),
        rs.getString("description"),
        parse(rs.getString("fields"), MAP),
        secretFields,
        rs.getString("server_url"),
        rs.getBoolean("verified"),
        Sql.instant(rs, "verified_at"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "updated_at"),
        rs.getString("created_by"),
        provisioning(id));
  }

  private ProvisioningState provisioning(String id) {
    return h.createQuery("SELECT * FROM connection_provisioning WHERE connection_id = :id")
        .bind("id", id)
        .map(
            (rs, ctx) ->
                new ProvisioningState(
                    rs.getString("home_namespace"),
                    new TreeMap<>(parse(rs.getString("deployers"), STRINGS)),
                    parse(rs.getString("details"), MAP),
                    rs.getBytes("minter_token") != null,
                    Sql.instant(rs, "provisioned_at")))
        .findFirst()
        .orElse(null);
  }

  @Override
  public Map<String, SecretValue> secrets(String id) {
    Map<String, SecretValue> out = new LinkedHashMap<>();
    h.createQuery("SELECT field, sealed FROM connection_secrets WHERE connection_id = :id")
        .bind("id", id)
        .map((rs, ctx) -> Map.entry(rs.getString("field"), rs.getBytes("sealed")))
        .list()
        .forEach(e -> out.put(e.getKey(), sealer.open(e.getValue(), context(id, e.getKey()))));
    return out;
  }

  @Override
  public void setVerified(String id, boolean verified, Instant at) {
    h.createUpdate(
            "UPDATE connections SET verified = :v, verified_at = :at, updated_at = :now"
                + " WHERE id = :id")
        .bind("id", id)
        .bind("v", verified)
        .bind("at", Sql.instant(verified ? at : null))
        .bind("now", Sql.instant(clock.instant()))
        .execute();
  }

  @Override
  public void addVerification(String id, Verification v) {
    long seq =
        h.createQuery(
                "SELECT COALESCE(MAX(seq), 0) FROM connection_verifications WHERE connection_id ="
                    + " :id")
            .bind("id", id)
            .mapTo(Long.class)
            .one();
    h.createUpdate(
            "INSERT INTO connection_verifications (id, connection_id, verified_at, seq, ok,"
                + " diagnosis, summary) VALUES (:vid, :id, :at, :seq, :ok, :d, :s)")
        .bind("vid", Crypto.randomId(8))
        .bind("id", id)
        .bind("at", Sql.instant(v.at()))
        .bind("seq", seq + 1)
        .bind("ok", v.ok())
        .bind("d", v.diagnosis())
        .bind("s", json(v.summary()))
        .execute();
  }

  @Override
  public List<Verification> verifications(String id, int limit) {
    int l = Math.max(1, Math.min(1000, limit));
    return h.createQuery(
            "SELECT * FROM connection_verifications WHERE connection_id = :id ORDER BY seq DESC"
                + " LIMIT "
                + l)
        .bind("id", id)
        .map(
            (rs, ctx) ->
                new Verification(
                    Sql.instant(rs, "verified_at"),
                    rs.getBoolean("ok"),
                    rs.getString("diagnosis"),
                    parse(rs.getString("summary"), MAP)))
        .list();
  }

  @Override
  public void setProvisioning(String id, ProvisioningState state, SecretValue minterToken) {
    byte[] sealed = minterToken == null ? null : sealer.seal(minterToken, context(id, MINTER));
    if (sealed == null) {
      sealed =
          h.createQuery(
                  "SELECT minter_token FROM connection_provisioning WHERE connection_id = :id")
              .bind("id", id)
              .map((rs, ctx) -> rs.getBytes(1))
              .findFirst()
              .orElse(null);
    }
    clearProvisioning(id);
    h.createUpdate(
            "INSERT INTO connection_provisioning (connection_id, home_namespace, deployers,"
                + " details, minter_token, provisioned_at) VALUES (:id, :home, :dep, :det, :tok,"
                + " :at)")
        .bind("id", id)
        .bind("home", state.homeNamespace())
        .bind("dep", json(state.deployers()))
        .bind("det", json(state.details()))
        .bind("tok", sealed)
        .bind(
            "at",
            Sql.instant(state.provisionedAt() == null ? clock.instant() : state.provisionedAt()))
        .execute();
  }

  @Override
  public void clearProvisioning(String id) {
    h.createUpdate("DELETE FROM connection_provisioning WHERE connection_id = :id")
        .bind("id", id)
        .execute();
  }

  @Override
  public Optional<SecretValue> minterToken(String id) {
    return h.createQuery(
            "SELECT minter_token FROM connection_provisioning WHERE connection_id = :id")
        .bind("id", id)
        .map((rs, ctx) -> rs.getBytes(1))
        .findFirst()
        .filter(b -> b != null)
        .map(b -> sealer.open(b, context(id, MINTER)));
  }

  @Override
  public boolean delete(String id) {
    for (String table :
        List.of("connection_secrets", "connection_verifications", "connection_provisioning")) {
      h.createUpdate("DELETE FROM " + table + " WHERE connection_id = :id")
          .bind("id", id)
          .execute();
    }
    return h.createUpdate("DELETE FROM connections WHERE id = :id").bind("id", id).execute() > 0;
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value == null ? Map.of() : value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not serialisable as JSON", e);
    }
  }

  private static <T> T parse(String text, TypeReference<T> type) {
    try {
      return JSON.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is unreadable", e);
    }
  }
}
