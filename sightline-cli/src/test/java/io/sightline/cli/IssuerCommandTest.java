package io.sightline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.server.ServerConfig;
import io.sightline.server.SightlineServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sightline issuer export|show} and {@code admin rotate-issuer-key} against a server. */
class IssuerCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  SightlineServer server;
  String admin;

  @BeforeEach
  void start() throws Exception {
    server =
        new SightlineServer(
                ServerConfig.load(
                    Map.of(
                        ServerConfig.PORT, "0",
                        ServerConfig.DATA_DIR, tmp.resolve("data").toString(),
                        ServerConfig.OIDC_ISSUER_URL, "https://issuer.example.test/sightline"),
                    Map.of(),
                    null))
            .start();
    admin = Files.readString(tmp.resolve("data/admin.token")).strip();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private CliHarness cli() {
    return new CliHarness().env("HOME", tmp.resolve("home").toString());
  }

  private JsonNode route(String path) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(server.url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  @DisplayName(
      "export writes the discovery document and JWKS exactly as the server's public routes serve"
          + " them, without a token, and says where to host them")
  void exportMatchesTheRoutes() throws Exception {
    Path site = tmp.resolve("site");
    var r = cli().run("issuer", "export", site.toString(), "--server", server.url());
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode discovery =
        JSON.readTree(Files.readString(site.resolve(".well-known/openid-configuration")));
    JsonNode jwks = JSON.readTree(Files.readString(site.resolve(".well-known/jwks.json")));
    assertThat(discovery).isEqualTo(route("/.well-known/openid-configuration"));
    assertThat(jwks).isEqualTo(route("/.well-known/jwks.json"));
    assertThat(discovery.get("issuer").asText()).isEqualTo("https://issuer.example.test/sightline");
    assertThat(jwks.toString()).doesNotContain("\"d\"");
    assertThat(r.err())
        .contains("https://issuer.example.test/sightline/.well-known/openid-configuration")
        .contains("Re-export after each key rotation");

    // After staging the next key, a re-export publishes it.
    var rot =
        cli()
            .env("SIGHTLINE_TOKEN", admin)
            .run("admin", "rotate-issuer-key", "--server", server.url());
    assertThat(rot.exit()).as(rot.err()).isZero();
    assertThat(rot.err()).contains("is published and signs from");
    assertThat(cli().run("issuer", "export", site.toString(), "--server", server.url()).exit())
        .isZero();
    JsonNode again = JSON.readTree(Files.readString(site.resolve(".well-known/jwks.json")));
    assertThat(again.get("keys")).hasSize(2);
    assertThat(again).isEqualTo(route("/.well-known/jwks.json"));
  }

  @Test
  @DisplayName("export into a path that is a file is a usage error")
  void exportIntoAFile() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    var r = cli().run("issuer", "export", file.toString(), "--server", server.url());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("is not a directory");
  }

  @Test
  @DisplayName("show prints the issuer, the subject pattern, the audience and each key's state")
  void show() throws Exception {
    String active = server.oidcIssuer().activeKeyId();
    cli().env("SIGHTLINE_TOKEN", admin).run("admin", "rotate-issuer-key", "--server", server.url());
    var r = cli().env("SIGHTLINE_TOKEN", admin).run("issuer", "show", "--server", server.url());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("https://issuer.example.test/sightline")
        .contains("sc://sightline/<connection>")
        .contains("api://AzureADTokenExchange")
        .contains(active)
        .contains("active")
        .contains("next")
        .contains("signs from");
    var json =
        cli()
            .env("SIGHTLINE_TOKEN", admin)
            .run("issuer", "show", "--server", server.url(), "--output", "json");
    assertThat(JSON.readTree(json.out()).get("keys")).hasSize(2);

    var now =
        cli()
            .env("SIGHTLINE_TOKEN", admin)
            .run("admin", "rotate-issuer-key", "--now", "--server", server.url());
    assertThat(now.exit()).as(now.err()).isZero();
    assertThat(server.oidcIssuer().activeKeyId()).isNotEqualTo(active);
    var shown = cli().env("SIGHTLINE_TOKEN", admin).run("issuer", "show", "--server", server.url());
    assertThat(shown.out()).contains("retired");
  }

  @Test
  @DisplayName("--help of export explains where to host the files and to re-export after rotation")
  void exportHelp() {
    var r = cli().run("issuer", "export", "--help");
    assertThat(r.out() + r.err())
        .contains(".well-known/openid-configuration")
        .contains("--oidc-issuer-url")
        .contains("published (staged)")
        .contains("Re-export");
  }
}
