package io.sightline.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sightline run} as its own JVM, stopped by SIGTERM while the command runs. */
class RunSignalTest {
  @TempDir Path tmp;

  @Test
  @DisplayName(
      "SIGTERM to sightline run stops the command, revokes the lease and deletes the files")
  void sigtermRevokes() throws Exception {
    try (FakeLeaseServer server = new FakeLeaseServer()) {
      Path marker = tmp.resolve("kubeconfig-path");
      Path childPid = tmp.resolve("child-pid");
      ProcessBuilder pb =
          new ProcessBuilder(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  "io.sightline.cli.Main",
                  "run",
                  "--connection",
                  "prod",
                  "--",
                  "sh",
                  "-c",
                  "echo \"$KUBECONFIG\" > "
                      + marker
                      + "; sleep 60 & echo $! > "
                      + childPid
                      + "; wait"));
      pb.environment().put("SIGHTLINE_SERVER", server.url());
      pb.environment().put("SIGHTLINE_TOKEN", server.callerToken);
      pb.environment().put("HOME", tmp.toString());
      pb.redirectErrorStream(true);
      pb.redirectOutput(tmp.resolve("run-output").toFile());
      Process run = pb.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!(Files.exists(childPid) && Files.size(childPid) > 0)
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(childPid).as("the command started").exists();
      long sleeper = Long.parseLong(Files.readString(childPid).strip());

      run.destroy(); // SIGTERM
      assertThat(run.waitFor(20, TimeUnit.SECONDS)).as("run ends after SIGTERM").isTrue();

      String output = Files.readString(tmp.resolve("run-output"));
      assertThat(server.revoked).as(output).containsKey("lease-1");
      assertThat(output)
          .contains("revoked lease lease-1")
          .doesNotContain(server.tokensById.get("lease-1"));
      assertThat(Path.of(Files.readString(marker).strip()).getParent()).doesNotExist();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (running(sleeper) && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertThat(running(sleeper))
          .as(
              "the command's own child was stopped too; run said:%n%s%nstat: %s",
              output,
              Files.exists(Path.of("/proc/" + sleeper + "/stat"))
                  ? Files.readString(Path.of("/proc/" + sleeper + "/stat"))
                  : "gone")
          .isFalse();
    }
  }

  /** Alive and not a zombie (an orphan may wait for a PID 1 that does not reap). */
  private static boolean running(long pid) throws java.io.IOException {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    if (!Files.exists(stat)) {
      return false;
    }
    String s = Files.readString(stat);
    return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
  }
}
