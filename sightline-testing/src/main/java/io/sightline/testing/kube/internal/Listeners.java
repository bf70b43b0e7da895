package io.sightline.testing.kube.internal;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/** Loopback listeners: HTTPS servers and the raw-socket fault listeners. */
public final class Listeners {

  static {
    // Without this the JDK server waits for delayed ACKs on keep-alive connections (~40 ms).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    // A real kube-apiserver closes keep-alive connections after 90 s idle (its http.Server
    // IdleTimeout); the JDK server's default is 30 s. With 30 s, every client pause of half a
    // minute (a benchmark moving between phases, a quiet CI queue) made the next burst open all
    // its connections again, a TLS handshake each, which the real server would not have asked for.
    // Read once by the JDK when its first HTTP server starts in this JVM; a value set already wins.
    if (System.getProperty("sun.net.httpserver.idleInterval") == null) {
      System.setProperty("sun.net.httpserver.idleInterval", "90");
    }
  }

  private Listeners() {}

  /** 127.0.0.1 exactly (not ::1, whatever the JVM prefers). */
  public static InetAddress loopback() {
    try {
      return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An HTTPS server on 127.0.0.1 that asks for (but does not require) a client certificate. */
  public static HttpsServer https(
      SSLContext ctx, int port, HttpHandler handler, ExecutorService executor) {
    try {
      HttpsServer server = HttpsServer.create(new InetSocketAddress(loopback(), port), 512);
      server.setHttpsConfigurator(
          new HttpsConfigurator(ctx) {
            @Override
            public void configure(HttpsParameters params) {
              SSLParameters p = ctx.getDefaultSSLParameters();
              p.setWantClientAuth(true);
              params.setSSLParameters(p);
            }
          });
      server.createContext("/", handler);
      server.setExecutor(executor);
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
    }
  }

  /**
   * Request threads: {@code threads} kept alive, more created on demand (each watch holds one
   * thread while it streams).
   */
  public static ExecutorService pool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    return new java.util.concurrent.ThreadPoolExecutor(
        threads,
        Integer.MAX_VALUE,
        60,
        java.util.concurrent.TimeUnit.SECONDS,
        new java.util.concurrent.SynchronousQueue<>(),
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** A port on 127.0.0.1 where nothing listens (bound once, then closed). */
  public static int refusingPort() {
    try (ServerSocket s = new ServerSocket(0, 1, loopback())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A raw TCP listener that accepts connections and then stalls: with {@code partialTls} false it
   * never reads or writes; with it true it reads the ClientHello and answers the first bytes of a
   * ServerHello, so the TLS handshake starts but never completes.
   */
  public static final class Stall implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    public Stall(boolean partialTls) {
      try {
        server = new ServerSocket(0, 512, loopback());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread t =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket s = server.accept();
                    held.add(s);
                    if (partialTls) {
                      Thread w = new Thread(() -> startTls(s), "fake-kube-tls-stall");
                      w.setDaemon(true);
                      w.start();
                    }
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "fake-kube-stall-" + (partialTls ? "tls" : "tcp"));
      t.setDaemon(true);
      t.start();
    }

    private static void startTls(Socket s) {
      try {
        InputStream in = s.getInputStream();
        byte[] header = in.readNBytes(5);
        if (header.length == 5) {
          int len = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
          in.readNBytes(len);
        }
        OutputStream out = s.getOutputStream();
        // A handshake record announcing 64 bytes, of which only the ServerHello header follows.
        out.write(new byte[] {0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00, 0x00, 0x3c, 0x03, 0x03});
        out.flush();
      } catch (IOException e) {
        // the client gave up; nothing to do
      }
    }

    public int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() {
      try {
        server.close();
      } catch (IOException e) {
        // closing anyway
      }
      for (Socket s : held) {
        try {
          s.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }
  }
}
