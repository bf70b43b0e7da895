package io.sightline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SecretValue;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.KubernetesClients;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.TokenMinter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The server's minting code (TokenMinter) in a JVM of its own, against the harness's emulator: the
 * lease figures' control for "the process boundary". Reads {@code {"url","ca","token","seconds"}}
 * on standard input (the token never on a command line), mints back to back for that long twice
 * (the first run warms the JIT) and prints {@code mean_ms=…} of the second.
 */
final class MinterProbe {
  private MinterProbe() {}

  public static void main(String[] args) throws Exception {
    JsonNode in =
        new ObjectMapper().readTree(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
    ClusterAccess access =
        ClusterAccess.ofToken(
            in.get("url").asText(),
            in.get("ca").asText(),
            SecretValue.of(in.get("token").asText()));
    long seconds = in.get("seconds").asLong();
    String run = Long.toHexString(System.nanoTime());
    try (KubernetesClient client = KubernetesClients.create(access, EgressPolicy.defaults())) {
      TokenMinter minter = new TokenMinter(client);
      double mean = 0;
      for (int round = 0; round < 2; round++) {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long total = 0;
        int n = 0;
        while (System.nanoTime() < end) {
          long t0 = System.nanoTime();
          minter.mint(
              new MintRequest(
                  "probe-" + run + "-" + round + "-" + n,
                  LeaseFigures.HOME_NS,
                  LeaseFigures.DEPLOYER,
                  Duration.ofSeconds(900),
                  List.of(),
                  null));
          total += System.nanoTime() - t0;
          n++;
        }
        mean = total / 1e6 / Math.max(1, n);
      }
      System.out.println(String.format(Locale.ROOT, "mean_ms=%.3f", mean));
    }
  }
}
