package io.sightline.bench;

import io.sightline.azure.AksCredentialIssuer;
import io.sightline.azure.ArmClient;
import io.sightline.azure.AzureCloud;
import io.sightline.azure.AzureEnvironment;
import io.sightline.azure.AzureTokenSource;
import io.sightline.azure.AzureTokenSources;
import io.sightline.azure.TokenSpec;
import io.sightline.core.SecretValue;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 5's figure: assembling a task's AKS kubeconfig on the server (a fresh-or-cached Entra token
 * for the AKS server application plus the cluster's server and CA from ARM), measured against the
 * Entra/ARM emulator. Target: ≤ 20 ms median with the ARM answer cached and the connection's token
 * cache enabled; the uncached figure (a fresh Entra token per task, the default) beside it.
 */
final class AksFigures {
  private static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  private static final String APP = "0a1b2c3d-1111-4111-8111-000000000001";
  private static final String SUB = "11111111-2222-4333-8444-555555555555";
  private static final String RG = "rg-bench";

  private AksFigures() {}

  static List<Result> run(BenchContext ctx) throws Exception {
    String secret = "bench-" + Long.toHexString(System.nanoTime());
    EntraApp app = EntraApp.builder(TENANT, APP).secret(secret).build();
    try (FakeAzure azure =
            FakeAzure.builder()
                .application(app)
                .allow(
                    app.objectId(),
                    "/subscriptions/" + SUB,
                    ArmAction.READ_CLUSTERS,
                    ArmAction.LIST_USER_CREDENTIAL)
                .start();
        FakeKubeApiServer kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start()) {
      azure.addCluster(
          AksCluster.builder(SUB, RG, "aks1").backedBy(kube).localAccountsDisabled().build());
      AzureEnvironment env =
          AzureEnvironment.builder()
              .cloud(
                  AzureCloud.custom(
                      azure.authorityHost(), azure.armEndpoint(), "https://management.azure.com/"))
              .sslContext(azure.clientSslContext())
              .egress(uri -> "127.0.0.1".equals(uri.getHost()))
              .connectTimeout(Duration.ofSeconds(3))
              .build();
      TokenSpec spec = new TokenSpec.ClientSecret(TENANT, APP, SecretValue.of(secret));
      AzureTokenSource fresh = AzureTokenSources.create(spec, env);
      AzureTokenSource shared =
          AzureTokenSources.create(spec, env, AzureTokenSources.TokenCache.SHARED);
      ArmClient arm =
          new ArmClient(
              env, fresh, Duration.ofSeconds(10), Duration.ofMinutes(5), Clock.systemUTC());
      AksCredentialIssuer issuer = new AksCredentialIssuer(Duration.ofSeconds(10));

      Stats cached = new Stats(time(issuer, shared, arm, ctx.quick() ? 5 : 200));
      Stats uncached = new Stats(time(issuer, fresh, arm, ctx.quick() ? 3 : 40));
      return List.of(
          Result.of(
                  "AKS kubeconfig assembly (cached)",
                  "≤ 20 ms median",
                  cached.median(),
                  "ms",
                  cached.median() <= 20)
              .with("median_ms", cached.median())
              .with("p99_ms", cached.p99())
              .with("uncached_median_ms", uncached.median())
              .with("uncached_p99_ms", uncached.p99()));
    }
  }

  private static List<Double> time(
      AksCredentialIssuer issuer, AzureTokenSource tokens, ArmClient arm, int n) {
    issuer.issue(tokens, arm, SUB, RG, "aks1", "web", false, false); // warm the caches
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      issuer.issue(tokens, arm, SUB, RG, "aks1", "web", false, false);
      out.add((System.nanoTime() - t0) / 1e6);
    }
    return out;
  }
}
