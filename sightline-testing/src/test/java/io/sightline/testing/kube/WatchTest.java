package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WatchTest {

  FakeKubeApiServer kube;
  KubeHttp admin;
  HttpClient http;

  @BeforeEach
  void start() {
    kube = FakeKubeApiServer.builder().start();
    admin = KubeHttp.admin(kube);
    admin.post("/api/v1/namespaces", "{\"metadata\":{\"name\":\"web\"}}");
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(kube.sslContext())
            .build();
  }

  @AfterEach
  void stop() {
    kube.close();
  }

  Iterator<String> watch(String pathAndQuery) throws Exception {
    HttpResponse<Stream<String>> r =
        http.send(
            HttpRequest.newBuilder(kube.url().resolve(pathAndQuery))
                .header("Authorization", "Bearer " + kube.adminToken())
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body().iterator();
  }

  static JsonNode next(Iterator<String> events) throws Exception {
    String line = CompletableFuture.supplyAsync(events::next).get(5, TimeUnit.SECONDS);
    return KubeHttp.MAPPER.readTree(line);
  }

  @Test
  void aWatchWithoutResourceVersionStartsWithTheCurrentObjectsThenStreamsChanges()
      throws Exception {
    admin.post("/api/v1/namespaces/web/secrets", "{\"metadata\":{\"name\":\"a\"}}");
    Iterator<String> events = watch("/api/v1/namespaces/web/secrets?watch=true&timeoutSeconds=10");
    JsonNode first = next(events);
    assertThat(first.path("type").asText()).isEqualTo("ADDED");
    assertThat(first.path("object").path("metadata").path("name").asText()).isEqualTo("a");
    admin.post("/api/v1/namespaces/web/secrets", "{\"metadata\":{\"name\":\"b\"}}");
    JsonNode added = next(events);
    assertThat(added.path("type").asText()).isEqualTo("ADDED");
    assertThat(added.path("object").path("metadata").path("name").asText()).isEqualTo("b");
    admin.delete("/api/v1/namespaces/web/secrets/a");
    JsonNode deleted = next(events);
    assertThat(deleted.path("type").asText()).isEqualTo("DELETED");
    assertThat(deleted.path("object").path("metadata").path("name").asText()).isEqualTo("a");
    assertThat(kube.requestLog(e -> e.verb().equals("watch"))).isNotEmpty();
  }

  @Test
  void aWatchFromAListsResourceVersionSeesOnlyLaterChangesOfTheSelectedObject() throws Exception {
    admin.post("/api/v1/namespaces/web/configmaps", "{\"metadata\":{\"name\":\"x\"}}");
    String rv =
        admin
            .get("/api/v1/namespaces/web/configmaps")
            .json()
            .path("metadata")
            .path("resourceVersion")
            .asText();
    admin.post("/api/v1/namespaces/web/configmaps", "{\"metadata\":{\"name\":\"y\"}}");
    admin.patch(
        "/api/v1/namespaces/web/configmaps/x",
        "application/merge-patch+json",
        "{\"data\":{\"k\":\"v\"}}");
    Iterator<String> events =
        watch(
            "/api/v1/namespaces/web/configmaps?watch=1&resourceVersion="
                + rv
                + "&fieldSelector=metadata.name%3Dx&timeoutSeconds=10");
    JsonNode modified = next(events);
    assertThat(modified.path("type").asText()).isEqualTo("MODIFIED");
    assertThat(modified.path("object").path("data").path("k").asText()).isEqualTo("v");
  }

  @Test
  void aWatchNeedsTheWatchVerb() {
    kube.addStaticToken("lister", "lister");
    KubeHttp.Resp r =
        KubeHttp.withToken(kube, "lister").get("/api/v1/namespaces/web/secrets?watch=true");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.message()).contains("cannot watch resource \"secrets\"");
  }
}
