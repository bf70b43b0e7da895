package io.sightline.kubernetes.internal;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** An IPv4 or IPv6 address range in CIDR notation ({@code 10.0.0.0/8}, {@code fe80::/10}). */
public final class Cidr {
  private final byte[] network;
  private final int prefix;
  private final String text;

  private Cidr(byte[] network, int prefix, String text) {
    this.network = network;
    this.prefix = prefix;
    this.text = text;
  }

  /**
   * Parses {@code a.b.c.d/n}, {@code x:y::/n} or a single address (a /32 or /128).
   *
   * @throws IllegalArgumentException when {@code cidr} is not an address literal range
   */
  public static Cidr parse(String cidr) {
    String s = cidr.strip();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    if (!addr.matches("[0-9A-Fa-f.:]+") || !(addr.contains(".") || addr.contains(":"))) {
      throw new IllegalArgumentException("not an IP address range: " + cidr);
    }
    byte[] bytes;
    try {
      InetAddress a = InetAddress.getByName(addr); // a literal: no name lookup
      bytes = a.getAddress();
      if (addr.contains(":") && bytes.length == 4) {
        // Java turns ::ffff:a.b.c.d into an IPv4 address; keep the range IPv4 then.
        bytes = a.getAddress();
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address range: " + cidr, e);
    }
    int max = bytes.length * 8;
    int prefix;
    try {
      prefix = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad prefix length in " + cidr, e);
    }
    if (prefix < 0 || prefix > max) {
      throw new IllegalArgumentException("prefix length out of range in " + cidr);
    }
    return new Cidr(mask(bytes, prefix), prefix, s);
  }

  /** True when {@code address} (after {@link #canonical}) lies in this range. */
  public boolean contains(InetAddress address) {
    byte[] bytes = canonical(address).getAddress();
    if (bytes.length != network.length) {
      return false;
    }
    return Arrays.equals(mask(bytes, prefix), network);
  }

  /**
   * The address an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) really reaches, as an IPv4
   * address; any other address unchanged.
   */
  public static InetAddress canonical(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] b = address.getAddress();
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      mapped &= (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
      if (mapped) {
        try {
          return Inet4Address.getByAddress(Arrays.copyOfRange(b, 12, 16));
        } catch (UnknownHostException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return address;
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff << (8 - bits)));
    }
    return out;
  }

  @Override
  public String toString() {
    return text;
  }
}
