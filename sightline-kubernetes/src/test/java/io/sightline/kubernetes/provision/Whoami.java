package io.sightline.kubernetes.provision;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SecretValue;

/** Who a token authenticates as, asked of the cluster with a TokenReview (tests only). */
public final class Whoami {
  private Whoami() {}

  /** The user name the token authenticates as, or null when the cluster rejects it. */
  public static String of(KubernetesClient admin, SecretValue token) {
    TokenReview review =
        admin
            .authentication()
            .v1()
            .tokenReviews()
            .create(
                new TokenReviewBuilder().withNewSpec().withToken(token.reveal()).endSpec().build());
    if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
      return null;
    }
    return review.getStatus().getUser().getUsername();
  }
}
