package io.sightline.cli.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code sightline login} stores: the server URL and its token, in {@code
 * ~/.config/sightline/config.json} (or under {@code $XDG_CONFIG_HOME}), mode 0600 in a 0700
 * directory, written atomically.
 */
public final class CliConfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  public record Login(String server, String token) {}

  private final Path file;

  public CliConfig(Path file) {
    this.file = file;
  }

  public static CliConfig forEnvironment(Map<String, String> env) {
    String xdg = env.get("XDG_CONFIG_HOME");
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    Path dir =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg, "sightline")
            : Path.of(home, ".config", "sightline");
    return new CliConfig(dir.resolve("config.json"));
  }

  public Path file() {
    return file;
  }

  public Optional<Login> read() {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      var node = JSON.readTree(file.toFile());
      return Optional.of(
          new Login(
              node.hasNonNull("server") ? node.get("server").asText() : null,
              node.hasNonNull("token") ? node.get("token").asText() : null));
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read " + file + " (" + e.getMessage() + "): fix or delete it and log in again");
    }
  }

  public void write(Login login) throws IOException {
    Path dir = file.getParent();
    Files.createDirectories(dir);
    setPermissions(dir, "rwx------");
    ObjectNode node = JSON.createObjectNode();
    node.put("server", login.server());
    node.put("token", login.token());
    Path tmp = Files.createTempFile(dir, ".config-", ".tmp");
    try {
      setPermissions(tmp, "rw-------");
      Files.writeString(
          tmp,
          JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n",
          StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    setPermissions(file, "rw-------");
  }

  private static void setPermissions(Path p, String perms) throws IOException {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system (Windows): the user's profile directory protects it
    }
  }
}
