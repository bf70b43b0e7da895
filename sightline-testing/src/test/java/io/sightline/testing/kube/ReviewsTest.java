package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReviewsTest {

  static FakeKubeApiServer kube;
  static KubeHttp admin;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().start();
    admin = KubeHttp.admin(kube);
    admin.post("/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"app\"}}");
  }

  @AfterAll
  static void stop() {
    kube.close();
  }

  @Test
  void tokenReviewAuthenticatesAValidTokenAndNamesTheUser() {
    String token = kube.serviceAccountToken("default", "app", Duration.ofHours(1));
    JsonNode status =
        admin
            .post(
                "/apis/authentication.k8s.io/v1/tokenreviews",
                "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\","
                    + "\"spec\":{\"token\":\""
                    + token
                    + "\"}}")
            .json()
            .path("status");
    assertThat(status.path("authenticated").asBoolean()).isTrue();
    assertThat(status.path("user").path("username").asText())
        .isEqualTo("system:serviceaccount:default:app");
  }

  @Test
  void tokenReviewRejectsAnInvalidTokenOrAnotherAudience() {
    JsonNode bad =
        admin
            .post("/apis/authentication.k8s.io/v1/tokenreviews", "{\"spec\":{\"token\":\"nope\"}}")
            .json()
            .path("status");
    assertThat(bad.path("authenticated").asBoolean()).isFalse();
    assertThat(bad.path("error").asText()).isNotEmpty();
    String token = kube.serviceAccountToken("default", "app", Duration.ofHours(1));
    JsonNode otherAudience =
        admin
            .post(
                "/apis/authentication.k8s.io/v1/tokenreviews",
                "{\"spec\":{\"token\":\"" + token + "\",\"audiences\":[\"vault\"]}}")
            .json()
            .path("status");
    assertThat(otherAudience.path("authenticated").asBoolean()).isFalse();
  }

  @Test
  void tokenReviewNeedsItsOwnPermission() {
    String token = kube.serviceAccountToken("default", "app", Duration.ofHours(1));
    assertThat(
            KubeHttp.withToken(kube, token)
                .post("/apis/authentication.k8s.io/v1/tokenreviews", "{\"spec\":{\"token\":\"x\"}}")
                .status())
        .isEqualTo(403);
  }

  @Test
  void subjectAccessReviewAnswersForAnotherUser() {
    String review =
        "{\"spec\":{\"user\":\"system:serviceaccount:default:app\",\"groups\":"
            + "[\"system:serviceaccounts\",\"system:authenticated\"],\"resourceAttributes\":"
            + "{\"namespace\":\"default\",\"verb\":\"create\",\"group\":\"apps\","
            + "\"resource\":\"deployments\"}}}";
    JsonNode before =
        admin.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review).json();
    assertThat(before.path("status").path("allowed").asBoolean()).isFalse();
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
        "{\"metadata\":{\"name\":\"app-edit\"},\"roleRef\":{\"apiGroup\":"
            + "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"edit\"},"
            + "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"app\",\"namespace\":\"default\"}]}");
    JsonNode after =
        admin.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review).json();
    assertThat(after.path("status").path("allowed").asBoolean()).isTrue();
  }

  @Test
  void selfSubjectAccessReviewIsOpenToEveryAuthenticatedCaller() {
    kube.addStaticToken("bob-token", "bob");
    KubeHttp bob = KubeHttp.withToken(kube, "bob-token");
    KubeHttp.Resp r =
        bob.post(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            "{\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"list\","
                + "\"resource\":\"secrets\"}}}");
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().path("status").path("allowed").asBoolean()).isFalse();
    JsonNode mine =
        admin
            .post(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                "{\"spec\":{\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"secrets\"}}}")
            .json();
    assertThat(mine.path("status").path("allowed").asBoolean()).isTrue();
  }

  @Test
  void selfSubjectRulesReviewListsTheCallersRulesInANamespace() {
    admin.post("/api/v1/namespaces", "{\"metadata\":{\"name\":\"rules\"}}");
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/rules/roles",
        "{\"metadata\":{\"name\":\"cm-reader\"},\"rules\":[{\"apiGroups\":[\"\"],"
            + "\"resources\":[\"configmaps\"],\"verbs\":[\"get\"]}]}");
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/rules/rolebindings",
        "{\"metadata\":{\"name\":\"dan\"},\"roleRef\":{\"apiGroup\":"
            + "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"cm-reader\"},"
            + "\"subjects\":[{\"kind\":\"User\",\"name\":\"dan\"}]}");
    kube.addStaticToken("dan-token", "dan");
    JsonNode status =
        KubeHttp.withToken(kube, "dan-token")
            .post(
                "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                "{\"spec\":{\"namespace\":\"rules\"}}")
            .json()
            .path("status");
    assertThat(status.path("resourceRules").toString())
        .contains("configmaps", "selfsubjectaccessreviews")
        .doesNotContain("secrets");
    assertThat(status.path("nonResourceRules").toString()).contains("/version");
  }

  @Test
  void selfSubjectReviewDescribesTheCaller() {
    kube.addStaticToken("carol-token", "carol", "team-a");
    JsonNode user =
        KubeHttp.withToken(kube, "carol-token")
            .post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")
            .json()
            .path("status")
            .path("userInfo");
    assertThat(user.path("username").asText()).isEqualTo("carol");
    assertThat(user.path("groups").toString()).contains("team-a", "system:authenticated");
  }
}
