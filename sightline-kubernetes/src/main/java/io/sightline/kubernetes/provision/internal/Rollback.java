package io.sightline.kubernetes.provision.internal;

import io.sightline.kubernetes.provision.ObjectRef;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The objects one provisioning run created, with how to delete each; on failure they are deleted in
 * reverse order. Objects that existed before the run are never recorded, so never deleted.
 */
public final class Rollback {
  private static final Logger log = LoggerFactory.getLogger(Rollback.class);

  /** Deletes one object; true if it was there. */
  @FunctionalInterface
  public interface Deleter {
    void delete();
  }

  private record Entry(ObjectRef ref, Deleter deleter) {}

  private final List<Entry> entries = new ArrayList<>();

  public void created(ObjectRef ref, Deleter deleter) {
    entries.add(new Entry(ref, deleter));
  }

  public List<ObjectRef> created() {
    return entries.stream().map(Entry::ref).toList();
  }

  /** Deletes everything recorded, newest first; answers what could not be deleted and why. */
  public List<String> run() {
    List<String> leftBehind = new ArrayList<>();
    for (int i = entries.size() - 1; i >= 0; i--) {
      Entry e = entries.get(i);
      try {
        e.deleter().delete();
        log.info("rolled back {}", e.ref());
      } catch (RuntimeException ex) {
        log.warn("could not roll back {}: {}", e.ref(), ex.toString());
        leftBehind.add(e.ref() + ": " + Errors.reason(ex));
      }
    }
    entries.clear();
    return leftBehind;
  }
}
