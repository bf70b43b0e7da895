package io.sightline.server;

/**
 * A user error that stops startup: its message is one line naming the setting at fault and the fix.
 * The command prints it without a stack trace and exits with code 1.
 */
public class StartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StartupException(String message) {
    super(message);
  }

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
