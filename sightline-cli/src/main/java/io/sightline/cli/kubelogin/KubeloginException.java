package io.sightline.cli.kubelogin;

/**
 * A failure of an exec plugin, shown to the person as one line on standard error. Its message never
 * holds a secret. Exit code 2 for usage errors, 1 otherwise.
 */
public final class KubeloginException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  public KubeloginException(String message, int exitCode) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  public static KubeloginException usage(String message) {
    return new KubeloginException(message, 2);
  }

  public static KubeloginException failed(String message) {
    return new KubeloginException(message, 1);
  }

  public int exitCode() {
    return exitCode;
  }
}
