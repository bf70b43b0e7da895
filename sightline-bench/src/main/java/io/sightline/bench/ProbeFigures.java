package io.sightline.bench;

import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.sightline.api.probe.ProbeResult;
import io.sightline.core.SecretValue;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ClusterProber;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Issue 4's figures. (1) A probe of a refusing, stalled or TLS-stalled server answers within its
 * deadline + 0.5 s. (2) A probe of a reachable cluster costs at most 1.2× making the same requests
 * (version, identity review, namespace list) directly with fabric8 against the same emulator, a
 * fresh client each time as a wizard would, measured in one run.
 */
final class ProbeFigures {
  static final Duration DEADLINE = Duration.ofSeconds(2);

  private ProbeFigures() {}

  static List<Result> run(BenchContext ctx) throws Exception {
    List<Result> out = new ArrayList<>();
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start();
        ClusterProber prober = new ClusterProber(EgressPolicy.defaults())) {
      ClusterAccess access =
          ClusterAccess.ofToken(
              kube.url().toString(), kube.caCertPem(), SecretValue.of(kube.adminToken()));
      ProbeOptions options = ProbeOptions.defaults().withDeadline(Duration.ofSeconds(10));

      int warm = ctx.quick() ? 2 : 20;
      int n = ctx.quick() ? 3 : 60;
      for (int i = 0; i < warm; i++) {
        prober.probe(access, options);
        direct(kube);
      }
      List<Double> probe = new ArrayList<>();
      List<Double> direct = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        // Interleaved, so both see the same machine load.
        long t0 = System.nanoTime();
        ProbeResult r = prober.probe(access, options);
        probe.add((System.nanoTime() - t0) / 1e6);
        if (!r.ok()) {
          throw new IllegalStateException("probe of the emulator failed: " + r.diagnosis());
        }
        long t1 = System.nanoTime();
        direct(kube);
        direct.add((System.nanoTime() - t1) / 1e6);
      }
      Stats p = new Stats(probe);
      Stats d = new Stats(direct);
      double ratio = p.median() / d.median();
      out.add(
          Result.of(
                  "probe of a reachable cluster vs fabric8",
                  "≤ 1.2× direct",
                  ratio,
                  "×",
                  ratio <= 1.2)
              .with("probe_median_ms", p.median())
              .with("probe_p99_ms", p.p99())
              .with("direct_median_ms", d.median())
              .with("direct_p99_ms", d.p99())
              .with("runs", n));

      Map<String, URI> faults = new LinkedHashMap<>();
      faults.put("refused", kube.faults().refused());
      faults.put("stalled (TCP, no answer)", kube.faults().silent());
      faults.put("TLS-stalled", kube.faults().tlsStall());
      int reps = ctx.quick() ? 1 : 5;
      for (Map.Entry<String, URI> fault : faults.entrySet()) {
        ClusterAccess a =
            ClusterAccess.ofToken(
                fault.getValue().toString(), kube.caCertPem(), SecretValue.of(kube.adminToken()));
        List<Double> times = new ArrayList<>();
        String code = null;
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          ProbeResult r = prober.probe(a, ProbeOptions.defaults().withDeadline(DEADLINE));
          times.add((System.nanoTime() - t0) / 1e6);
          code = r.diagnosis() == null ? "ok?" : r.diagnosis().code().name();
        }
        Stats s = new Stats(times);
        double limit = DEADLINE.toMillis() + 500.0;
        out.add(
            Result.of(
                    "probe answer, " + fault.getKey(),
                    "≤ deadline+0.5 s (2500 ms)",
                    s.max(),
                    "ms",
                    s.max() <= limit)
                .with("diagnosis", code)
                .with("median_ms", s.median())
                .with("max_ms", s.max())
                .with("deadline_ms", DEADLINE.toMillis()));
      }
    }
    return out;
  }

  /** The same three requests a probe makes, with plain fabric8 and a fresh client. */
  private static void direct(FakeKubeApiServer kube) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(kube.url().toString())
            .withCaCertData(
                java.util.Base64.getEncoder()
                    .encodeToString(
                        kube.caCertPem().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .withOauthToken(kube.adminToken())
            .withRequestRetryBackoffLimit(0)
            .build();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      client.getKubernetesVersion();
      client.authentication().v1().selfSubjectReviews().create(new SelfSubjectReview());
      client.namespaces().list();
    }
  }
}
