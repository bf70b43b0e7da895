package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Egress rules. No test here sends a packet outside 127.0.0.0/8: refusals are checked on the policy
 * or against loopback.
 */
class EgressTest {

  private static InetAddress literal(String s) throws Exception {
    return InetAddress.getByName(s); // an IP literal: no lookup
  }

  /** {@code ::ffff:a.b.c.d} kept as an Inet6Address (Java's parser would turn it into IPv4). */
  private static InetAddress mapped(String ipv4) throws Exception {
    byte[] v4 = InetAddress.getByName(ipv4).getAddress();
    byte[] v6 = new byte[16];
    v6[10] = (byte) 0xff;
    v6[11] = (byte) 0xff;
    System.arraycopy(v4, 0, v6, 12, 4);
    InetAddress a = Inet6Address.getByAddress(null, v6, (java.net.NetworkInterface) null);
    assertThat(a).isInstanceOf(Inet6Address.class);
    return a;
  }

  @ParameterizedTest(name = "{0} is always refused")
  @ValueSource(
      strings = {
        "0.0.0.0",
        "0.1.2.3",
        "169.254.169.254",
        "169.254.0.1",
        "168.63.129.16",
        "100.100.100.200",
        "fe80::1",
        "febf:ffff::1",
        "64:ff9b::a9fe:a9fe",
        "fd00:ec2::254",
        "::",
        "::ffff:169.254.169.254",
        "::ffff:168.63.129.16"
      })
  void metadataLinkLocalAndUnspecifiedAddressesAreAlwaysRefused(String address) throws Exception {
    EgressPolicy permissive =
        EgressPolicy.builder().allow("0.0.0.0/0", "::/0", "169.254.0.0/16").build();
    assertThat(EgressPolicy.defaults().refusal(literal(address))).isNotNull();
    assertThat(permissive.refusal(literal(address)))
        .as("an allow list cannot open the always-denied ranges")
        .contains("never connects to");
  }

  @ParameterizedTest(name = "IPv4-mapped IPv6 form of {0} is refused")
  @ValueSource(strings = {"169.254.169.254", "0.0.0.0", "168.63.129.16", "100.100.100.200"})
  void ipv4MappedIpv6FormsAreRefusedToo(String ipv4) throws Exception {
    assertThat(EgressPolicy.defaults().refusal(mapped(ipv4))).contains("never connects to");
  }

  @ParameterizedTest(name = "{0} is allowed by default")
  @ValueSource(
      strings = {
        "127.0.0.1",
        "127.0.0.2",
        "::1",
        "10.1.2.3",
        "203.0.113.7",
        "169.253.255.255",
        "100.100.100.201",
        "fec0::1"
      })
  void loopbackAndOrdinaryAddressesAreAllowedByDefault(String address) throws Exception {
    assertThat(EgressPolicy.defaults().refusal(literal(address))).isNull();
  }

  @Test
  void theDenyListWinsOverTheAllowListAndAnAllowListAdmitsOnlyItsRanges() throws Exception {
    EgressPolicy p = EgressPolicy.builder().allow("127.0.0.0/8").deny("127.0.0.3/32").build();
    assertThat(p.refusal(literal("127.0.0.3"))).contains("deny list");
    assertThat(p.refusal(mapped("127.0.0.3"))).contains("deny list");
    assertThat(p.refusal(literal("127.0.0.1"))).isNull();
    assertThat(p.refusal(literal("192.0.2.1"))).contains("allow list");
  }

  @Test
  void privateRangesAreConfigurable() throws Exception {
    assertThat(EgressPolicy.defaults().isPrivate(literal("10.0.0.1"))).isTrue();
    assertThat(EgressPolicy.defaults().isPrivate(literal("172.31.255.1"))).isTrue();
    assertThat(EgressPolicy.defaults().isPrivate(literal("100.64.0.1"))).isTrue();
    assertThat(EgressPolicy.defaults().isPrivate(literal("fd12::1"))).isTrue();
    assertThat(EgressPolicy.defaults().isPrivate(literal("127.0.0.2"))).isFalse();
    EgressPolicy test = EgressPolicy.builder().privateRanges(List.of("127.0.0.2/32")).build();
    assertThat(test.isPrivate(literal("127.0.0.2"))).isTrue();
    assertThat(test.isPrivate(literal("10.0.0.1"))).isFalse();
  }

  @Test
  void aMalformedCidrIsRejectedWhenThePolicyIsBuilt() {
    assertThatThrownBy(() -> EgressPolicy.builder().deny("example.com/8").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("example.com/8");
    assertThatThrownBy(() -> EgressPolicy.builder().deny("10.0.0.0/33").build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSocketFactoryRefusesADeniedAddressBeforeAnyPacketIsSent() throws Exception {
    EgressPolicy policy = EgressPolicy.builder().deny("127.0.0.3/32").build();
    try (ServerSocket server = new ServerSocket(0, 50, literal("127.0.0.3"))) {
      server.setSoTimeout(300);
      int port = server.getLocalPort();
      EgressSocketFactory factory = EgressSocketFactory.of(policy);
      for (InetAddress target : List.of(literal("127.0.0.3"), mapped("127.0.0.3"))) {
        try (Socket s = factory.createSocket()) {
          assertThatThrownBy(() -> s.connect(new InetSocketAddress(target, port), 1000))
              .isInstanceOf(EgressDeniedException.class)
              .hasMessageContaining("127.0.0.3:" + port)
              .hasMessageContaining("deny list");
          assertThat(s.isConnected()).isFalse();
        }
      }
      assertThatThrownBy(() -> factory.createSocket("127.0.0.3", port))
          .isInstanceOf(EgressDeniedException.class);
      assertThatThrownBy(server::accept)
          .as("the denied connections never reached the listener")
          .isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void theSocketFactoryConnectsToAnAllowedLoopbackAddress() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, literal("127.0.0.1"));
        Socket s = EgressSocketFactory.of(EgressPolicy.defaults()).createSocket()) {
      s.connect(new InetSocketAddress(literal("127.0.0.1"), server.getLocalPort()), 1000);
      assertThat(s.isConnected()).isTrue();
      server.setSoTimeout(1000);
      try (Socket accepted = server.accept()) {
        assertThat(accepted.getInetAddress()).isEqualTo(literal("127.0.0.1"));
      }
    }
  }

  @Test
  void aTrackingFactoryAbortsItsOpenSocketsAndRefusesNewOnes() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, literal("127.0.0.1"))) {
      EgressSocketFactory factory = EgressSocketFactory.tracking(EgressPolicy.defaults());
      Socket s = factory.createSocket("127.0.0.1", server.getLocalPort());
      assertThat(s.isClosed()).isFalse();
      factory.closeAll();
      assertThat(s.isClosed()).isTrue();
      assertThatThrownBy(() -> factory.createSocket("127.0.0.1", server.getLocalPort()))
          .hasMessageContaining("deadline");
    }
  }
}
