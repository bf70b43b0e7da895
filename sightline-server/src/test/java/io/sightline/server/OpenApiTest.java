package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenApiTest {
  @TempDir Path tmp;

  @Test
  void everyRegisteredApiRouteIsInTheOpenApiDocument() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.start();
      JsonNode doc = h.get("/openapi.json", null).json();
      assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
      var handlers =
          h.server.registeredHandlers().stream().filter(s -> s.contains(" /api/v1/")).toList();
      assertThat(handlers).hasSizeGreaterThanOrEqualTo(6);
      for (String handler : handlers) {
        String method = handler.substring(0, handler.indexOf(' ')).toLowerCase(Locale.ROOT);
        String path = handler.substring(handler.indexOf(' ') + 1);
        JsonNode op = doc.path("paths").path(path).path(method);
        assertThat(op.isMissingNode()).as(handler + " is described").isFalse();
        assertThat(op.get("summary").asText()).as(handler + " has a summary").isNotBlank();
        assertThat(op.get("responses")).as(handler + " has responses").isNotEmpty();
      }
    }
  }

  @Test
  void theDocumentDescribesRolesBodiesAndProblems() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.start();
      JsonNode doc = h.get("/openapi.json", null).json();
      JsonNode create = doc.at("/paths/~1api~1v1~1tokens/post");
      assertThat(create.get("x-sightline-role").asText()).isEqualTo("admin");
      assertThat(create.at("/requestBody/content/application~1json/schema/$ref").asText())
          .isEqualTo("#/components/schemas/CreateTokenRequest");
      JsonNode req = doc.at("/components/schemas/CreateTokenRequest");
      assertThat(req.get("required")).extracting(JsonNode::asText).containsExactly("name", "role");
      assertThat(req.at("/properties/ttlSeconds/type").asText()).isEqualTo("integer");
      assertThat(req.get("additionalProperties").asBoolean()).isFalse();
      assertThat(create.at("/responses/201")).isNotNull();
      assertThat(create.at("/responses/413/content/application~1problem+json")).isNotEmpty();
      assertThat(doc.at("/paths/~1api~1v1~1audit/get/x-sightline-role").asText())
          .isEqualTo("reader");
      assertThat(doc.at("/paths/~1api~1v1~1audit/get/parameters").findValuesAsText("name"))
          .contains("action", "actor", "target", "outcome", "since", "until", "limit", "cursor");
      assertThat(doc.at("/paths/~1api~1v1~1tokens~1{id}/delete/parameters/0/name").asText())
          .isEqualTo("id");
    }
  }
}
