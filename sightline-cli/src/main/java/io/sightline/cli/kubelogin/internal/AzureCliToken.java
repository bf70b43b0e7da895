package io.sightline.cli.kubelogin.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.cli.kubelogin.GetTokenOptions;
import io.sightline.cli.kubelogin.KubeloginException;
import io.sightline.cli.kubelogin.TokenCache;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code azurecli} mode: whoever is signed in to {@code az} on this machine, through {@code az
 * account get-access-token --resource <server-id>}, as kubelogin does. Run directly (not through
 * azure-identity) so the mode stays fast although it is not cached.
 */
final class AzureCliToken {
  private AzureCliToken() {}

  static TokenCache.Entry fetch(GetTokenOptions o) throws IOException {
    String resource =
        o.serverId().endsWith("/.default")
            ? o.serverId().substring(0, o.serverId().length() - "/.default".length())
            : o.serverId();
    List<String> cmd = new ArrayList<>(List.of("az", "account", "get-access-token"));
    cmd.addAll(List.of("--resource", resource, "--output", "json"));
    if (o.tenantId() != null) {
      cmd.addAll(List.of("--tenant", o.tenantId()));
    }
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().clear();
      pb.environment().putAll(o.env());
      p = pb.redirectInput(ProcessBuilder.Redirect.PIPE).start();
    } catch (IOException e) {
      throw KubeloginException.failed(
          "the Azure CLI (az) is not on the PATH: install it and run `az login`, or choose another"
              + " --login");
    }
    p.getOutputStream().close();
    CompletableFuture<byte[]> out = drain(p.getInputStream());
    CompletableFuture<byte[]> err = drain(p.getErrorStream());
    boolean done;
    try {
      done = p.waitFor(o.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw KubeloginException.failed("interrupted while waiting for az");
    }
    if (!done) {
      p.destroyForcibly();
      throw KubeloginException.failed(
          "az account get-access-token did not finish within "
              + o.timeout().toSeconds()
              + " s: run it yourself to see why, or raise --timeout");
    }
    String stdout = new String(out.join(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      String msg = new String(err.join(), StandardCharsets.UTF_8).strip();
      for (String line : msg.split("\n")) {
        if (!line.isBlank() && !line.startsWith("WARNING")) {
          msg = line.strip();
          break;
        }
      }
      String hint =
          msg.contains("az login") ? "" : " — run `az login` (or `az login --tenant <tenant>`)";
      throw KubeloginException.failed(
          "az account get-access-token failed: "
              + (msg.isEmpty() ? "exit " + p.exitValue() : msg)
              + hint);
    }
    JsonNode j;
    try {
      j = Https.JSON.readTree(stdout);
    } catch (IOException e) {
      throw KubeloginException.failed(
          "az account get-access-token printed no JSON: update the Azure CLI");
    }
    String token = j.path("accessToken").asText("");
    if (token.isEmpty()) {
      throw KubeloginException.failed("az account get-access-token printed no accessToken");
    }
    Instant expires;
    if (j.hasNonNull("expires_on")) {
      expires = Instant.ofEpochSecond(j.get("expires_on").asLong());
    } else if (j.hasNonNull("expiresOn")) {
      String s = j.get("expiresOn").asText();
      expires =
          LocalDateTime.parse(
                  s.length() > 19 ? s.substring(0, 19) : s,
                  DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"))
              .atZone(ZoneId.systemDefault())
              .toInstant();
    } else {
      expires = Instant.now().plusSeconds(300);
    }
    return new TokenCache.Entry(SecretValue.of(token), expires, null);
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return in.readAllBytes();
          } catch (IOException e) {
            return new byte[0];
          }
        });
  }
}
