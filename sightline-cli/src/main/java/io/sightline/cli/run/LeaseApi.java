package io.sightline.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.client.ApiException;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URLEncoder;
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
  private final Duration timeout;

  public LeaseApi(URI base, Duration timeout) {
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
    this.timeout = timeout;
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

  JsonNode withRetries(
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
    // HttpURLConnection, not java.net.http: the latter's selector thread sits in native code, and
    // the JVM then waits about 300 ms at exit for it (and loads many more classes at start).
    HttpURLConnection c = null;
    try {
      c = (HttpURLConnection) base.resolve(path).toURL().openConnection(Proxy.NO_PROXY);
      c.setConnectTimeout(5000);
      c.setReadTimeout((int) timeout.toMillis());
      c.setInstanceFollowRedirects(false);
      c.setRequestMethod(method);
      c.setRequestProperty("Accept", "application/json");
      if (bearer != null) {
        c.setRequestProperty("Authorization", "Bearer " + bearer.reveal().strip());
      }
      if (key != null) {
        c.setRequestProperty("Idempotency-Key", key);
      }
      if (body != null) {
        byte[] bytes = JSON.writeValueAsBytes(body);
        c.setRequestProperty("Content-Type", "application/json");
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(bytes.length);
        try (OutputStream out = c.getOutputStream()) {
          out.write(bytes);
        }
      }
      int status = c.getResponseCode();
      byte[] answer;
      try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
        answer = in == null ? new byte[0] : in.readAllBytes();
      }
      return interpret(status, answer);
    } catch (IOException e) {
      throw new ApiException(
          0,
          "UNREACHABLE",
          "cannot reach the Sightline server at "
              + base
              + " ("
              + e.getClass().getSimpleName()
              + "): is it running, and are --server / SIGHTLINE_SERVER right?");
    }
  }

  private static JsonNode interpret(int status, byte[] body) {
    JsonNode json = null;
    if (body.length > 0) {
      try {
        json = JSON.readTree(body);
      } catch (IOException e) {
        json = null;
      }
    }
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
