package io.sightline.testing.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.sightline.testing.pki.TestCa;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/** A small HTTPS client for the emulator's API in tests: one identity, JSON in and out. */
final class KubeHttp {

  static final ObjectMapper MAPPER = new ObjectMapper();

  /** A response: status, parsed JSON body (MissingNode if not JSON) and raw text. */
  record Resp(int status, JsonNode json, String text) {
    String message() {
      return json.path("message").asText();
    }
  }

  private final FakeKubeApiServer kube;
  private final HttpClient http;
  private final String token;

  private KubeHttp(FakeKubeApiServer kube, SSLContext ssl, String token) {
    this.kube = kube;
    this.token = token;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(ssl)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  static KubeHttp withToken(FakeKubeApiServer kube, String token) {
    return new KubeHttp(kube, kube.sslContext(), token);
  }

  static KubeHttp admin(FakeKubeApiServer kube) {
    return withToken(kube, kube.adminToken());
  }

  static KubeHttp anonymous(FakeKubeApiServer kube) {
    return withToken(kube, null);
  }

  static KubeHttp withCertificate(FakeKubeApiServer kube, TestCa.Issued cert) {
    return new KubeHttp(kube, kube.ca().sslContext(cert), null);
  }

  Resp get(String path) {
    return send(builder(path).GET());
  }

  Resp post(String path, String json) {
    return send(
        builder(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  Resp put(String path, String json) {
    return send(
        builder(path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  Resp patch(String path, String contentType, String json) {
    return send(
        builder(path)
            .header("Content-Type", contentType)
            .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
  }

  Resp delete(String path) {
    return send(builder(path).DELETE());
  }

  /** Mints a token through the TokenRequest API as this identity; fails the test if refused. */
  String createToken(String ns, String sa, String specJson) {
    Resp r =
        post(
            "/api/v1/namespaces/" + ns + "/serviceaccounts/" + sa + "/token",
            "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":"
                + specJson
                + "}");
    if (r.status() != 201) {
      throw new AssertionError("TokenRequest answered " + r.status() + ": " + r.text());
    }
    return r.json().path("status").path("token").asText();
  }

  /** The user name the server sees for this identity (SelfSubjectReview). */
  String whoami() {
    Resp r =
        post(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}");
    if (r.status() != 201) {
      return "HTTP " + r.status();
    }
    return r.json().path("status").path("userInfo").path("username").asText();
  }

  private HttpRequest.Builder builder(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(kube.url().resolve(path)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Resp send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json;
      try {
        json = MAPPER.readTree(r.body());
        if (json == null) {
          json = MissingNode.getInstance();
        }
      } catch (IOException e) {
        json = MissingNode.getInstance();
      }
      return new Resp(r.statusCode(), json, r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The JWT payload of a token, decoded (no verification). */
  static JsonNode claims(String jwt) {
    try {
      String payload = jwt.split("\\.")[1];
      return MAPPER.readTree(java.util.Base64.getUrlDecoder().decode(payload));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
