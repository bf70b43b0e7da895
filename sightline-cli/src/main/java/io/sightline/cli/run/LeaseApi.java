package io.sightline.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.client.ApiException;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * The lease routes of the REST API: create (with an {@code Idempotency-Key}, retried on connection
 * errors and 5xx with the same key), renew and revoke (with the lease's own handle).
 */
public final class LeaseApi {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final long[] BACKOFF_MS = {300, 1000, 2000, 4000};

  private final URI base;
  private final HttpClient http;
  private final Duration timeout;

  public LeaseApi(URI base, Duration timeout) {
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public URI base() {
    return base;
  }

  /** Creates a lease as {@code caller}; retries with one idempotency key. */
  public Lease create(ObjectNode body, SecretValue caller) {
    String key = UUID.randomUUID().toString();
    return Lease.of(withRetries("POST", "api/v1/leases", body, caller, key), null);
  }

  /** Renews with the lease's handle. */
  public Lease renew(Lease lease, long ttlSeconds) {
    ObjectNode body = JSON.createObjectNode().put("ttlSeconds", ttlSeconds);
    return Lease.of(
        withRetries(
            "POST", "api/v1/leases/" + enc(lease.id()) + "/renew", body, lease.handle(), null),
        lease.handle());
  }

  /** Revokes (idempotent) with the lease's handle, or any credential allowed to. */
  public void revoke(String id, SecretValue credential) {
    withRetries("DELETE", "api/v1/leases/" + enc(id), null, credential, null);
  }

  private JsonNode withRetries(
      String method, String path, JsonNode body, SecretValue bearer, String idempotencyKey) {
    for (int attempt = 0; ; attempt++) {
      try {
        return send(method, path, body, bearer, idempotencyKey);
      } catch (ApiException e) {
        boolean retriable = e.status() == 0 || e.status() >= 500;
        if (!retriable || attempt >= BACKOFF_MS.length || "INTERRUPTED".equals(e.code())) {
          throw e;
        }
        try {
          Thread.sleep(BACKOFF_MS[attempt]);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  JsonNode send(String method, String path, JsonNode body, SecretValue bearer, String key) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(timeout)
            .header("Accept", "application/json");
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer.reveal().strip());
    }
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    try {
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json");
        b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      }
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return interpret(r);
    } catch (IOException e) {
      throw new ApiException(
          0,
          "UNREACHABLE",
          "cannot reach the Sightline server at "
              + base
              + " ("
              + e.getClass().getSimpleName()
              + "): is it running, and are --server / SIGHTLINE_SERVER right?");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(0, "INTERRUPTED", "interrupted");
    }
  }

  private static JsonNode interpret(HttpResponse<byte[]> r) {
    JsonNode json = null;
    if (r.body() != null && r.body().length > 0) {
      try {
        json = JSON.readTree(r.body());
      } catch (IOException e) {
        json = null;
      }
    }
    int status = r.statusCode();
    if (status >= 200 && status < 300) {
      return json != null ? json : JSON.createObjectNode();
    }
    String code = json != null && json.hasNonNull("code") ? json.get("code").asText() : null;
    String detail =
        json != null && json.hasNonNull("detail")
            ? json.get("detail").asText()
            : json != null && json.hasNonNull("title")
                ? json.get("title").asText()
                : "HTTP " + status;
    return throwing(new ApiException(status, code, detail + " (HTTP " + status + ")", json));
  }

  private static JsonNode throwing(ApiException e) {
    throw e;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
