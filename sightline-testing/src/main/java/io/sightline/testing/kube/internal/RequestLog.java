package io.sightline.testing.kube.internal;

import io.sightline.testing.kube.RequestLogEntry;
import java.util.ArrayDeque;
import java.util.List;

/** The last 100 000 requests, oldest first. */
public final class RequestLog {

  private static final int MAX = 100_000;

  private final ArrayDeque<RequestLogEntry> entries = new ArrayDeque<>();

  public synchronized void add(RequestLogEntry e) {
    if (entries.size() >= MAX) {
      entries.pollFirst();
    }
    entries.addLast(e);
  }

  public synchronized List<RequestLogEntry> snapshot() {
    return List.copyOf(entries);
  }

  public synchronized void clear() {
    entries.clear();
  }
}
