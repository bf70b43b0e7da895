package io.sightline.server.logging;

import org.slf4j.bridge.SLF4JBridgeHandler;

/** Process-wide logging set-up for the server. */
public final class Logging {
  private static volatile boolean bridged;

  private Logging() {}

  /**
   * Routes {@code java.util.logging} (used by e.g. the PostgreSQL driver) into SLF4J/Logback, so
   * those lines pass through {@link RedactingEncoder} too, and selects the output format.
   */
  public static synchronized void configure(boolean json) {
    if (!bridged) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
      bridged = true;
    }
    RedactingEncoder.useJson(json);
  }
}
