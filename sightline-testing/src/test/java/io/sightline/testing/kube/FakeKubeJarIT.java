package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar target/fake-kube.jar --dir DIR} works by hand, as the README says. */
class FakeKubeJarIT {

  @TempDir Path dir;

  @Test
  void theJarStartsAnEmulatorAndWritesASelfContainedAdminKubeconfig() throws Exception {
    Kubectl.requireKubectl128(dir);
    Path jar = Path.of(System.getProperty("basedir", ".")).resolve("target/fake-kube.jar");
    assertThat(jar).as("built by mvn package").exists();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path out = dir.resolve("out");
    Process p =
        new ProcessBuilder(
                java.toString(),
                "-jar",
                jar.toString(),
                "--dir",
                out.toString(),
                "--version",
                "1.29")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("log").toFile())
            .start();
    try {
      Path url = out.resolve("server-url");
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!Files.exists(url) && System.nanoTime() < end && p.isAlive()) {
        Thread.sleep(100);
      }
      assertThat(url)
          .as(Files.exists(dir.resolve("log")) ? Files.readString(dir.resolve("log")) : "")
          .exists();
      assertThat(Files.readString(url).trim()).startsWith("https://127.0.0.1:");
      assertThat(Files.readString(out.resolve("ca.crt"))).startsWith("-----BEGIN CERTIFICATE-----");
      String kubeconfig = Files.readString(out.resolve("admin.kubeconfig"));
      assertThat(kubeconfig).contains("certificate-authority-data: ", "token: ");
      assertThat(kubeconfig).doesNotContain("certificate-authority:", "tokenFile", "client-key:");
      Kubectl kubectl = new Kubectl(dir);
      Kubectl.Result ns = kubectl.run(kubeconfig, "get", "ns");
      assertThat(ns.exit()).as(ns.all()).isZero();
      assertThat(ns.out()).contains("default", "kube-system", "kube-public");
      Kubectl.Result version = kubectl.run(kubeconfig, "version", "-o", "json");
      assertThat(version.out()).contains("\"gitVersion\": \"v1.29.0\"");
    } finally {
      p.destroy();
      p.waitFor();
    }
  }
}
