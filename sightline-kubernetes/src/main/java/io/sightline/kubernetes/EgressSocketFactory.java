package io.sightline.kubernetes;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.SocketFactory;

/**
 * A {@link SocketFactory} whose sockets check the {@link EgressPolicy} on the resolved address at
 * connect time, so IP literals, redirects and re-resolved names cannot slip past it. Install it on
 * every HTTP client that calls user-supplied addresses ({@code
 * OkHttpClient.Builder#socketFactory}).
 *
 * <p>A {@linkplain #tracking tracking} factory also remembers its open sockets so that {@link
 * #closeAll()} can abort every connection of one probe at its deadline.
 */
public final class EgressSocketFactory extends SocketFactory {
  private final EgressPolicy policy;
  private final Set<Socket> open; // null when not tracking
  private volatile boolean aborted;

  /** Sees every address a checked socket is about to connect to (tests only; null: none). */
  private static volatile java.util.function.Consumer<InetSocketAddress> connectObserver;

  private EgressSocketFactory(EgressPolicy policy, boolean tracking) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.open = tracking ? ConcurrentHashMap.newKeySet() : null;
  }

  /** A factory for long-lived clients (no socket tracking). */
  public static EgressSocketFactory of(EgressPolicy policy) {
    return new EgressSocketFactory(policy, false);
  }

  /** A factory for one short-lived operation, whose sockets {@link #closeAll()} can abort. */
  public static EgressSocketFactory tracking(EgressPolicy policy) {
    return new EgressSocketFactory(policy, true);
  }

  /**
   * Shows {@code observer} every address that passed the egress check, just before the socket
   * connects to it, until the returned handle is closed. For tests that must show a refused address
   * was never connected to (a refusal never reaches the observer).
   */
  public static AutoCloseable observeConnects(
      java.util.function.Consumer<InetSocketAddress> observer) {
    connectObserver = Objects.requireNonNull(observer, "observer");
    return () -> connectObserver = null;
  }

  public EgressPolicy policy() {
    return policy;
  }

  @Override
  public Socket createSocket() {
    return new CheckedSocket();
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(new InetSocketAddress(host, port));
    return s;
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    Socket s = createSocket();
    s.bind(new InetSocketAddress(localHost, localPort));
    s.connect(new InetSocketAddress(host, port));
    return s;
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(new InetSocketAddress(host, port));
    return s;
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    Socket s = createSocket();
    s.bind(new InetSocketAddress(localAddress, localPort));
    s.connect(new InetSocketAddress(address, port));
    return s;
  }

  /**
   * Closes every socket this (tracking) factory made that is still open, and refuses any further
   * connection.
   */
  public void closeAll() {
    aborted = true;
    if (open == null) {
      return;
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing to abort; nothing to do
      }
    }
  }

  private final class CheckedSocket extends Socket {
    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      if (!(endpoint instanceof InetSocketAddress target)) {
        throw new IOException("unsupported address type " + endpoint);
      }
      InetSocketAddress checked = policy.check(target);
      if (open != null) {
        open.add(this);
      }
      if (aborted) {
        close();
        throw new java.net.SocketException("aborted: the operation's deadline has passed");
      }
      java.util.function.Consumer<InetSocketAddress> observer = connectObserver;
      if (observer != null) {
        observer.accept(checked);
      }
      super.connect(checked, timeout);
    }

    @Override
    public synchronized void close() throws IOException {
      try {
        super.close();
      } finally {
        if (open != null) {
          open.remove(this);
        }
      }
    }
  }
}
