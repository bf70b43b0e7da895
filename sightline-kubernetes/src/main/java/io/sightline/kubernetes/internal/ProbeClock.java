package io.sightline.kubernetes.internal;

import io.sightline.api.probe.ProbeStep;
import io.sightline.api.probe.ProbeStep.Name;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import okhttp3.Call;
import okhttp3.Dns;
import okhttp3.EventListener;
import okhttp3.Handshake;
import okhttp3.Protocol;

/**
 * The timed steps of one probe: DNS through a timing {@link Dns}, TCP and TLS through an OkHttp
 * {@link EventListener}, the HTTP steps from the prober. Thread-safe: the probe's worker writes,
 * the caller may {@link #freeze} and read at the deadline while the worker is still blocked.
 */
public final class ProbeClock extends EventListener implements Dns {
  /** Where the probe is (or was when it stopped). */
  public enum Phase {
    START,
    RESOLVE,
    CONNECT,
    TLS,
    HTTP,
    DONE
  }

  private final long start = System.nanoTime();
  private final Dns delegate;
  private final Map<Name, ProbeStep> steps = new EnumMap<>(Name.class);
  private final Map<Name, Long> started = new EnumMap<>(Name.class);
  private boolean frozen;
  private Phase phase = Phase.START;
  private String host;
  private List<InetAddress> resolved = List.of();
  private InetSocketAddress connectingTo;
  private boolean tlsSeen;

  private final io.sightline.kubernetes.ProbeProgress progress;

  public ProbeClock(Dns delegate) {
    this(delegate, io.sightline.kubernetes.ProbeProgress.NONE);
  }

  /**
   * @param progress hears each step as it starts and ends
   */
  public ProbeClock(Dns delegate, io.sightline.kubernetes.ProbeProgress progress) {
    this.delegate = delegate;
    this.progress = progress;
  }

  private void tell(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      // a listener never breaks a probe
    }
  }

  public long elapsedMillis() {
    return (System.nanoTime() - start) / 1_000_000;
  }

  public synchronized Phase phase() {
    return phase;
  }

  public synchronized InetSocketAddress connectingTo() {
    return connectingTo;
  }

  public synchronized List<InetAddress> resolved() {
    return resolved;
  }

  public synchronized String host() {
    return host;
  }

  /** Stops recording: what the worker does after the deadline no longer changes the answer. */
  public synchronized void freeze() {
    frozen = true;
  }

  // ---- Dns: the resolve step ----

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    begin(Name.RESOLVE, Phase.RESOLVE);
    synchronized (this) {
      host = hostname;
    }
    try {
      List<InetAddress> addresses = delegate.lookup(hostname);
      synchronized (this) {
        resolved = List.copyOf(addresses);
      }
      end(
          Name.RESOLVE,
          true,
          hostname
              + " resolved to "
              + addresses.stream()
                  .map(InetAddress::getHostAddress)
                  .collect(Collectors.joining(", ")));
      return addresses;
    } catch (UnknownHostException e) {
      end(Name.RESOLVE, false, hostname + " does not resolve");
      throw e;
    }
  }

  // ---- EventListener: the connect and TLS steps ----

  @Override
  public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
    synchronized (this) {
      connectingTo = address;
    }
    begin(Name.CONNECT, Phase.CONNECT);
  }

  @Override
  public void secureConnectStart(Call call) {
    InetSocketAddress a = connectingTo();
    end(Name.CONNECT, true, a == null ? null : describe(a));
    synchronized (this) {
      tlsSeen = true;
    }
    begin(Name.TLS, Phase.TLS);
  }

  @Override
  public void secureConnectEnd(Call call, Handshake handshake) {
    end(Name.TLS, true, handshake == null ? null : handshake.tlsVersion().javaName());
  }

  @Override
  public void connectEnd(Call call, InetSocketAddress address, Proxy proxy, Protocol protocol) {
    if (!tlsSeen()) {
      end(Name.CONNECT, true, describe(address));
    }
    synchronized (this) {
      if (!frozen) {
        phase = Phase.HTTP;
        // An HTTP step waiting for this connection starts now: its time is the exchange only.
        long now = System.nanoTime();
        for (Name n : List.of(Name.VERSION, Name.AUTHENTICATE, Name.NAMESPACES)) {
          if (started.containsKey(n) && !steps.containsKey(n)) {
            started.put(n, now);
          }
        }
      }
    }
  }

  @Override
  public void connectFailed(
      Call call, InetSocketAddress address, Proxy proxy, Protocol protocol, IOException ioe) {
    // Left open: the prober classifies the failure and closes the step with its diagnosis.
  }

  private synchronized boolean tlsSeen() {
    return tlsSeen;
  }

  // ---- the HTTP steps, driven by the prober ----

  public void begin(Name name, Phase newPhase) {
    boolean first;
    synchronized (this) {
      if (frozen || steps.containsKey(name)) {
        return;
      }
      first = !started.containsKey(name);
      started.putIfAbsent(name, System.nanoTime());
      phase = newPhase;
    }
    if (first) {
      tell(() -> progress.started(name));
    }
  }

  public void beginHttp(Name name) {
    begin(name, Phase.HTTP);
  }

  public synchronized void end(Name name, boolean ok, String detail) {
    if (frozen || steps.containsKey(name)) {
      return;
    }
    Long t0 = started.get(name);
    long millis = t0 == null ? 0 : (System.nanoTime() - t0) / 1_000_000;
    ProbeStep step =
        ok ? ProbeStep.ok(name, millis, detail) : ProbeStep.failed(name, millis, detail);
    steps.put(name, step);
    tell(() -> progress.ended(step));
  }

  public synchronized void skip(Name name, String detail) {
    if (!frozen && !steps.containsKey(name)) {
      ProbeStep step = ProbeStep.skipped(name, detail);
      steps.put(name, step);
      tell(() -> progress.ended(step));
    }
  }

  /** The name of the step that was started and has not ended, or null. */
  public synchronized Name open() {
    for (Name n : List.of(Name.RESOLVE, Name.CONNECT, Name.TLS)) {
      if (started.containsKey(n) && !steps.containsKey(n)) {
        return n;
      }
    }
    Name last = null;
    for (Name n : List.of(Name.VERSION, Name.AUTHENTICATE, Name.NAMESPACES)) {
      if (started.containsKey(n) && !steps.containsKey(n)) {
        last = n;
      }
    }
    return last;
  }

  /**
   * Every step in order: recorded ones as they are, a started one as failed with {@code
   * failureDetail}, the rest skipped.
   */
  public synchronized List<ProbeStep> steps(String failureDetail, boolean ipLiteral, boolean tls) {
    List<ProbeStep> out = new ArrayList<>();
    for (Name n : Name.values()) {
      ProbeStep s = steps.get(n);
      if (n == Name.AGENT && s == null) {
        continue; // only a probe that went through an agent has that step (the agent adds it)
      }
      if (s != null) {
        out.add(s);
      } else if (started.containsKey(n) && (n == open() || failureDetail == null)) {
        long millis = (System.nanoTime() - started.get(n)) / 1_000_000;
        out.add(ProbeStep.failed(n, millis, failureDetail));
      } else if (n == Name.RESOLVE && ipLiteral) {
        out.add(ProbeStep.skipped(n, "the server is an IP address"));
      } else if (n == Name.TLS && !tls) {
        out.add(ProbeStep.skipped(n, "plain http"));
      } else {
        out.add(ProbeStep.skipped(n, "not reached"));
      }
    }
    return out;
  }

  private static String describe(InetSocketAddress a) {
    String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    return host.contains(":") ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
  }
}
