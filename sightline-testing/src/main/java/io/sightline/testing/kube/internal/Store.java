package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Objects by resource, namespace and name, as Jackson trees. Stored trees are never mutated: reads
 * may share them, writers copy first. Writes are serialized so resourceVersions grow in order.
 */
public final class Store {

  /** What happened to an object; listeners run after the write, outside the lock. */
  public record Event(String type, ResourceType resource, ObjectNode object) {}

  private final Map<String, ConcurrentSkipListMap<String, ObjectNode>> objects =
      new ConcurrentHashMap<>();
  private final AtomicLong resourceVersion = new AtomicLong(1000);
  private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
  private final List<BlockingQueue<Event>> watchers = new CopyOnWriteArrayList<>();
  private final ArrayDeque<Event> history = new ArrayDeque<>();
  private static final int HISTORY = 10_000;

  /** A registered watch: what it must send first, then what arrives on {@code queue}. */
  public record Watch(List<Event> initial, BlockingQueue<Event> queue, boolean expired) {}

  /**
   * Starts a watch of {@code t}: with {@code fromResourceVersion} null or "0" the initial events
   * are an ADDED for every current object; otherwise the recorded events after that version (or
   * {@code expired} if they are no longer kept).
   */
  public synchronized Watch watch(ResourceType t, String fromResourceVersion) {
    List<Event> initial = new ArrayList<>();
    boolean expired = false;
    if (fromResourceVersion == null
        || fromResourceVersion.isEmpty()
        || fromResourceVersion.equals("0")) {
      for (ObjectNode o : table(t).values()) {
        initial.add(new Event("ADDED", t, o));
      }
    } else {
      long from = Long.parseLong(fromResourceVersion);
      Event oldest = history.peekFirst();
      if (from < resourceVersion.get()
          && oldest != null
          && rv(oldest) > from + 1
          && history.size() >= HISTORY) {
        expired = true;
      }
      for (Event e : history) {
        if (rv(e) > from && e.resource().storeKey().equals(t.storeKey())) {
          initial.add(e);
        }
      }
    }
    BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    watchers.add(queue);
    return new Watch(initial, queue, expired);
  }

  public void unwatch(Watch w) {
    watchers.remove(w.queue());
  }

  private static long rv(Event e) {
    return e.object().path("metadata").path("resourceVersion").asLong();
  }

  /** Called with the store's lock held, so watchers see events in resourceVersion order. */
  private void record(Event e) {
    if (history.size() >= HISTORY) {
      history.pollFirst();
    }
    history.addLast(e);
    for (BlockingQueue<Event> q : watchers) {
      q.offer(e);
    }
  }

  public void addListener(Consumer<Event> l) {
    listeners.add(l);
  }

  private ConcurrentSkipListMap<String, ObjectNode> table(ResourceType t) {
    return objects.computeIfAbsent(t.storeKey(), k -> new ConcurrentSkipListMap<>());
  }

  private static String key(String namespace, String name) {
    return (namespace == null ? "" : namespace) + "/" + name;
  }

  public String currentResourceVersion() {
    return Long.toString(resourceVersion.get());
  }

  /** The stored object (shared; do not modify), or null. */
  public ObjectNode get(ResourceType t, String namespace, String name) {
    return table(t).get(key(t.namespaced() ? namespace : null, name));
  }

  /** Objects in a namespace (or all namespaces when null), ordered by namespace and name. */
  public List<ObjectNode> list(ResourceType t, String namespace) {
    ConcurrentSkipListMap<String, ObjectNode> table = table(t);
    if (namespace == null || !t.namespaced()) {
      return new ArrayList<>(table.values());
    }
    return new ArrayList<>(table.subMap(namespace + "/", namespace + "/\uffff").values());
  }

  /** Stores a new object, filling uid, resourceVersion and creationTimestamp. */
  public ObjectNode create(ResourceType t, ObjectNode obj) {
    ObjectNode meta = Json.with(obj, "metadata");
    String ns = t.namespaced() ? meta.path("namespace").asText(null) : null;
    String name = meta.path("name").asText();
    ObjectNode stored;
    synchronized (this) {
      if (get(t, ns, name) != null) {
        throw ApiException.alreadyExists(t.group(), t.plural(), name);
      }
      meta.put("uid", UUID.randomUUID().toString());
      meta.put("resourceVersion", Long.toString(resourceVersion.incrementAndGet()));
      meta.put("creationTimestamp", Json.now());
      stored = obj;
      table(t).put(key(ns, name), stored);
      record(new Event("ADDED", t, stored));
    }
    fire(new Event("ADDED", t, stored));
    return stored;
  }

  /**
   * Replaces an existing object. If {@code obj} names a resourceVersion it must be the current one.
   * uid and creationTimestamp are kept from the stored object.
   */
  public ObjectNode update(ResourceType t, ObjectNode obj) {
    ObjectNode meta = Json.with(obj, "metadata");
    String ns = t.namespaced() ? meta.path("namespace").asText(null) : null;
    String name = meta.path("name").asText();
    ObjectNode stored;
    synchronized (this) {
      ObjectNode old = get(t, ns, name);
      if (old == null) {
        throw ApiException.notFound(t.group(), t.plural(), name);
      }
      ObjectNode oldMeta = (ObjectNode) old.get("metadata");
      String rv = meta.path("resourceVersion").asText("");
      if (!rv.isEmpty() && !rv.equals(oldMeta.path("resourceVersion").asText())) {
        throw ApiException.conflict(
            t.group(),
            t.plural(),
            name,
            "the object has been modified; please apply your changes to the latest version and"
                + " try again");
      }
      meta.set("uid", oldMeta.get("uid"));
      meta.set("creationTimestamp", oldMeta.get("creationTimestamp"));
      meta.put("resourceVersion", Long.toString(resourceVersion.incrementAndGet()));
      stored = obj;
      table(t).put(key(ns, name), stored);
      record(new Event("MODIFIED", t, stored));
    }
    fire(new Event("MODIFIED", t, stored));
    return stored;
  }

  /** Removes an object and answers it, or null if it did not exist. */
  public ObjectNode delete(ResourceType t, String namespace, String name) {
    ObjectNode removed;
    synchronized (this) {
      removed = table(t).remove(key(t.namespaced() ? namespace : null, name));
      if (removed != null) {
        ObjectNode last = removed.deepCopy();
        Json.with(last, "metadata")
            .put("resourceVersion", Long.toString(resourceVersion.incrementAndGet()));
        record(new Event("DELETED", t, last));
      }
    }
    if (removed != null) {
      fire(new Event("DELETED", t, removed));
    }
    return removed;
  }

  private void fire(Event e) {
    for (Consumer<Event> l : listeners) {
      l.accept(e);
    }
  }
}
