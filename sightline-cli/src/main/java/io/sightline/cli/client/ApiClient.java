package io.sightline.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import javax.net.ssl.SSLException;

/**
 * A small client of Sightline's REST API ({@code /api/v1}). It depends only on the wire format,
 * never on server or store classes, so the CLI's client commands, {@code run} and the agent can
 * talk to any server version that speaks the same API.
 */
public final class ApiClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String token;
  private final HttpClient http;
  private final Duration requestTimeout;

  public ApiClient(URI base, String token, Duration requestTimeout) {
    this.base = normalise(base);
    this.token = token;
    this.requestTimeout = requestTimeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public URI base() {
    return base;
  }

  public JsonNode get(String path, Map<String, String> query) {
    return send("GET", path + queryString(query), null);
  }

  public JsonNode get(String path) {
    return send("GET", path, null);
  }

  public JsonNode post(String path, Object body) {
    return send("POST", path, body == null ? JsonNodeFactory.instance.objectNode() : body);
  }

  public JsonNode delete(String path) {
    return send("DELETE", path, null);
  }

  /** Sends a request; answers the JSON body (an empty object for 204), or throws ApiException. */
  public JsonNode send(String method, String path, Object body) {
    URI uri = base.resolve(path.startsWith("/") ? path.substring(1) : path);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri).timeout(requestTimeout).header("Accept", "application/json");
    if (token != null && !token.isBlank()) {
      b.header("Authorization", "Bearer " + token.strip());
    }
    try {
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json");
        b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      }
      HttpResponse<byte[]> response = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return interpret(response);
    } catch (HttpConnectTimeoutException e) {
      throw unreachable("the connection timed out");
    } catch (ConnectException e) {
      throw unreachable("connection refused");
    } catch (HttpTimeoutException e) {
      throw new ApiException(
          0, "TIMEOUT", "the server at " + base + " did not answer within " + requestTimeout);
    } catch (SSLException e) {
      throw new ApiException(
          0,
          "TLS",
          "TLS with the server at "
              + base
              + " failed ("
              + e.getMessage()
              + "): check the URL's scheme"
              + " and that this machine trusts the server's certificate");
    } catch (IOException e) {
      throw unreachable(e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(0, "INTERRUPTED", "interrupted");
    }
  }

  private ApiException unreachable(String why) {
    return new ApiException(
        0,
        "UNREACHABLE",
        "cannot reach the Sightline server at "
            + base
            + " ("
            + why
            + "): is it running (./sightline server), and are --server / SIGHTLINE_SERVER right?");
  }

  private static JsonNode interpret(HttpResponse<byte[]> response) {
    int status = response.statusCode();
    byte[] body = response.body();
    JsonNode json = null;
    if (body != null && body.length > 0) {
      try {
        json = JSON.readTree(body);
      } catch (IOException e) {
        json = null;
      }
    }
    if (status >= 200 && status < 300) {
      return json != null ? json : JsonNodeFactory.instance.objectNode();
    }
    String code = json != null && json.hasNonNull("code") ? json.get("code").asText() : null;
    String detail =
        json != null && json.hasNonNull("detail")
            ? json.get("detail").asText()
            : json != null && json.hasNonNull("title")
                ? json.get("title").asText()
                : "HTTP " + status;
    if (json != null && json.hasNonNull("errorId")) {
      detail += " (error id " + json.get("errorId").asText() + ")";
    }
    if (status == 401) {
      detail +=
          " — log in again (sightline login --server URL) or set SIGHTLINE_TOKEN to a valid token";
    }
    return throwing(new ApiException(status, code, detail, json));
  }

  private static JsonNode throwing(ApiException e) {
    throw e;
  }

  private static String queryString(Map<String, String> query) {
    if (query == null || query.isEmpty()) {
      return "";
    }
    StringJoiner j = new StringJoiner("&", "?", "");
    new LinkedHashMap<>(query)
        .forEach(
            (k, v) -> {
              if (v != null) {
                j.add(
                    URLEncoder.encode(k, StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(v, StandardCharsets.UTF_8));
              }
            });
    return j.length() == 1 ? "" : j.toString();
  }

  private static URI normalise(URI uri) {
    String s = uri.toString();
    return URI.create(s.endsWith("/") ? s : s + "/");
  }
}
