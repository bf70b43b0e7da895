package io.sightline.cli.run;

import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A task's private kubeconfig: a temp directory (0700) holding {@code kubeconfig} (0600), whose
 * user names its token through {@code tokenFile}, and that {@code token} file (0600), which {@link
 * #rewriteToken} replaces atomically (write a temp file, then rename) when the lease is renewed.
 */
public final class TaskKubeconfig implements AutoCloseable {
  private final Path dir;
  private final Path kubeconfig;
  private final Path tokenFile;

  private TaskKubeconfig(Path dir) {
    this.dir = dir;
    this.kubeconfig = dir.resolve("kubeconfig");
    this.tokenFile = dir.resolve("token");
  }

  /** Creates the directory and both files for a lease. */
  public static TaskKubeconfig write(Lease lease) throws IOException {
    Path dir =
        Files.createTempDirectory(
            "sightline-run-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    TaskKubeconfig k = new TaskKubeconfig(dir);
    try {
      k.rewriteToken(lease.token());
      writePrivate(
          k.kubeconfig,
          render(lease, "tokenFile: " + quote(k.tokenFile.toString()))
              .getBytes(StandardCharsets.UTF_8));
      return k;
    } catch (IOException | RuntimeException e) {
      k.close();
      throw e;
    }
  }

  /** A kubeconfig with the token inline (for tools that manage the file themselves). */
  public static String renderInline(Lease lease) {
    return render(lease, "token: " + quote(lease.token().reveal()));
  }

  private static String render(Lease lease, String userLine) {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: v1\nkind: Config\nclusters:\n- name: sightline\n  cluster:\n");
    y.append("    server: ").append(quote(lease.server())).append('\n');
    if (lease.certificateAuthorityData() != null && !lease.certificateAuthorityData().isBlank()) {
      y.append("    certificate-authority-data: ")
          .append(quote(lease.certificateAuthorityData().strip()))
          .append('\n');
    }
    y.append("users:\n- name: sightline-lease\n  user:\n    ").append(userLine).append('\n');
    y.append("contexts:\n- name: sightline\n  context:\n    cluster: sightline\n");
    y.append("    user: sightline-lease\n");
    if (lease.namespace() != null) {
      y.append("    namespace: ").append(quote(lease.namespace())).append('\n');
    }
    y.append("current-context: sightline\n");
    return y.toString();
  }

  /** Replaces the token file atomically, so a reader sees the old token or the new one. */
  public void rewriteToken(SecretValue token) throws IOException {
    Path tmp = dir.resolve(".token." + System.nanoTime());
    try {
      writePrivate(tmp, token.revealUtf8());
      try {
        Files.move(tmp, tokenFile, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, tokenFile, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes a new file readable only by its owner (created 0600, never wider). */
  public static void writePrivate(Path file, byte[] content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
      out.write(content);
    }
  }

  public Path dir() {
    return dir;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  public Path tokenFile() {
    return tokenFile;
  }

  /** Deletes the directory and everything in it. */
  @Override
  public void close() throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** A YAML double-quoted scalar (JSON string syntax, which YAML accepts). */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
