package io.sightline.it.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The small Node project in the test resources ({@code azure-pipelines-task/}): the published npm
 * package {@code azure-pipelines-tasks-kubernetes-common} at the version its {@code package.json}
 * pins, installed from its {@code package-lock.json} with {@code npm ci} into {@code
 * target/azure-pipelines-task}, and {@code write-kubeconfig.js}, which builds the kubeconfig an
 * Azure Pipelines Kubernetes task would from the {@code ENDPOINT_*} variables.
 *
 * <p>npm's cache is {@code target/npm-cache}, so the install does not depend on (or fill) the
 * developer's home; npm's own configuration (registry, CA file) still applies. An install is reused
 * while the lock file is unchanged.
 */
final class AzurePipelinesTaskProject {
  static final String HOW_TO_INSTALL =
      "this test runs the published npm package azure-pipelines-tasks-kubernetes-common with node:"
          + " install Node.js and npm (apt-get install nodejs npm; .ci/run does so when they are"
          + " missing)";

  private AzurePipelinesTaskProject() {}

  /** Installs the project (once per lock file) and answers its directory. */
  static Path install() throws Exception {
    String node = onPath("node");
    String npm = onPath("npm");
    Path source = resourceDir();
    Path target = buildDir();
    Path project = target.resolve("azure-pipelines-task");
    Files.createDirectories(project);
    for (String f : List.of("package.json", "package-lock.json", "write-kubeconfig.js")) {
      Files.copy(source.resolve(f), project.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    String lock = sha256(project.resolve("package.json"), project.resolve("package-lock.json"));
    Path marker = project.resolve("node_modules").resolve(".sightline-installed");
    if (Files.exists(marker) && Files.readString(marker).equals(lock)) {
      return project;
    }
    Path log = target.resolve("npm-ci.log");
    long started = System.nanoTime();
    Process p =
        new ProcessBuilder(
                npm,
                "ci",
                "--cache",
                target.resolve("npm-cache").toString(),
                "--prefer-offline",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel",
                "warn")
            .directory(project.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      fail("npm ci did not finish in 5 minutes (log: %s): %s", log, Files.readString(log));
    }
    assertThat(p.exitValue())
        .as(
            "npm ci of %s with %s (log %s): %s",
            project, node, log, Files.readString(log, StandardCharsets.UTF_8))
        .isZero();
    Files.writeString(marker, lock);
    System.out.printf(
        "npm ci of %s took %d ms%n",
        project, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return project;
  }

  /** The absolute path of {@code command} on PATH; fails (never skips) when it is missing. */
  static String onPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return fail("%s is not on PATH: %s", command, HOW_TO_INSTALL);
  }

  private static Path resourceDir() throws URISyntaxException {
    URL url = AzurePipelinesTaskProject.class.getResource("/azure-pipelines-task/package.json");
    assertThat(url).as("azure-pipelines-task/package.json on the test classpath").isNotNull();
    return Path.of(url.toURI()).getParent();
  }

  private static Path buildDir() {
    return Path.of(System.getProperty("sightline.it.build-dir", "target"))
        .toAbsolutePath()
        .normalize();
  }

  private static String sha256(Path... files) throws IOException, NoSuchAlgorithmException {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    for (Path f : files) {
      d.update(Files.readAllBytes(f));
    }
    return HexFormat.of().formatHex(d.digest());
  }
}
