package io.sightline.kubernetes;

import java.io.IOException;
import java.net.InetAddress;

/**
 * A connection refused by Sightline's {@link EgressPolicy} before any packet was sent. An {@link
 * IOException}, so HTTP clients fail the call instead of their thread; probes map it to {@code
 * EGRESS_DENIED}.
 */
public final class EgressDeniedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient InetAddress address;
  private final int port;

  public EgressDeniedException(InetAddress address, int port, String reason) {
    super("egress to " + describe(address, port) + " is refused: " + reason);
    this.address = address;
    this.port = port;
  }

  private static String describe(InetAddress address, int port) {
    InetAddress canonical = io.sightline.kubernetes.internal.Cidr.canonical(address);
    String shown =
        canonical instanceof java.net.Inet6Address
            ? "[" + canonical.getHostAddress() + "]:" + port
            : canonical.getHostAddress() + ":" + port;
    return canonical.equals(address)
        ? shown
        : shown + " (given as the IPv4-mapped " + address.getHostAddress() + ")";
  }

  public InetAddress address() {
    return address;
  }

  public int port() {
    return port;
  }
}
