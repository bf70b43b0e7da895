package io.sightline.kubernetes;

import io.sightline.kubernetes.internal.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which addresses outbound calls to user-supplied endpoints may connect to (DESIGN.md "Egress").
 *
 * <p>Always refused, whatever the configuration: {@link #ALWAYS_DENIED} (this-network, link-local
 * and cloud metadata addresses, NAT64, the IPv6 unspecified address), IPv4-mapped IPv6 forms
 * included. Then the deny list wins over the allow list; a non-empty allow list admits only the
 * addresses in it. Loopback is not denied by default. {@link #isPrivate} classifies addresses for
 * {@code PRIVATE_ENDPOINT_UNREACHABLE} (default RFC 1918, RFC 4193 and 100.64.0.0/10).
 *
 * <p>Enforced by {@link EgressSocketFactory} on the socket address at connect time.
 */
public final class EgressPolicy {
  /** Ranges no configuration can allow. */
  public static final List<String> ALWAYS_DENIED =
      List.of(
          "0.0.0.0/8",
          "169.254.0.0/16",
          "168.63.129.16/32",
          "100.100.100.200/32",
          "fe80::/10",
          "64:ff9b::/96",
          "fd00:ec2::254/128",
          "::/128");

  /** The default "private" ranges: RFC 1918, RFC 4193 and the shared address space of RFC 6598. */
  public static final List<String> DEFAULT_PRIVATE_RANGES =
      List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "100.64.0.0/10");

  private static final List<Cidr> ALWAYS = ALWAYS_DENIED.stream().map(Cidr::parse).toList();

  private final List<Cidr> allow;
  private final List<Cidr> deny;
  private final List<Cidr> privateRanges;

  private EgressPolicy(List<Cidr> allow, List<Cidr> deny, List<Cidr> privateRanges) {
    this.allow = List.copyOf(allow);
    this.deny = List.copyOf(deny);
    this.privateRanges = List.copyOf(privateRanges);
  }

  /** Only the always-denied ranges; default private ranges. */
  public static EgressPolicy defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Why {@code address} is refused, or null when it may be connected to. */
  public String refusal(InetAddress address) {
    InetAddress a = Cidr.canonical(address);
    for (Cidr c : ALWAYS) {
      if (c.contains(a)) {
        return "it is in "
            + c
            + ", which Sightline never connects to (link-local, metadata or unspecified addresses)";
      }
    }
    for (Cidr c : deny) {
      if (c.contains(a)) {
        return "it is in " + c + ", which the server's egress deny list refuses";
      }
    }
    if (!allow.isEmpty() && allow.stream().noneMatch(c -> c.contains(a))) {
      return "it is not in the server's egress allow list";
    }
    return null;
  }

  /**
   * Checks a socket address just before connecting; an unresolved address is resolved first (and
   * every address it resolves to must pass).
   */
  public InetSocketAddress check(InetSocketAddress target)
      throws EgressDeniedException, UnknownHostException {
    InetAddress address = target.getAddress();
    if (address == null) {
      address = InetAddress.getByName(target.getHostString());
    }
    String why = refusal(address);
    if (why != null) {
      throw new EgressDeniedException(address, target.getPort(), why);
    }
    return target.isUnresolved() ? new InetSocketAddress(address, target.getPort()) : target;
  }

  /** True when {@code address} counts as private (configurable; loopback addresses in tests). */
  public boolean isPrivate(InetAddress address) {
    InetAddress a = Cidr.canonical(address);
    return privateRanges.stream().anyMatch(c -> c.contains(a));
  }

  @Override
  public String toString() {
    return "EgressPolicy[allow=" + allow + ", deny=" + deny + ", private=" + privateRanges + "]";
  }

  /** Builds an {@link EgressPolicy}; CIDR strings are validated on {@link #build()}. */
  public static final class Builder {
    private final List<String> allow = new ArrayList<>();
    private final List<String> deny = new ArrayList<>();
    private List<String> privateRanges = DEFAULT_PRIVATE_RANGES;

    private Builder() {}

    public Builder allow(String... cidrs) {
      allow.addAll(List.of(cidrs));
      return this;
    }

    public Builder allow(List<String> cidrs) {
      allow.addAll(cidrs);
      return this;
    }

    public Builder deny(String... cidrs) {
      deny.addAll(List.of(cidrs));
      return this;
    }

    public Builder deny(List<String> cidrs) {
      deny.addAll(cidrs);
      return this;
    }

    /** Replaces the private ranges (default {@link #DEFAULT_PRIVATE_RANGES}). */
    public Builder privateRanges(List<String> cidrs) {
      privateRanges = List.copyOf(cidrs);
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the first entry that is not a CIDR range
     */
    public EgressPolicy build() {
      return new EgressPolicy(
          allow.stream().map(Cidr::parse).toList(),
          deny.stream().map(Cidr::parse).toList(),
          privateRanges.stream().map(Cidr::parse).toList());
    }
  }
}
