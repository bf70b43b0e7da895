package io.sightline.store;

import io.sightline.store.internal.JdbiStore;
import java.time.Clock;

/** Opens stores. */
public final class Stores {
  private Stores() {}

  /**
   * Opens (and migrates) the store and checks {@code masterKey} against what it encrypted before. A
   * wrong key fails with a message naming {@link MasterKey#source()} and changes nothing.
   *
   * @throws io.sightline.core.SightlineException {@code MASTER_KEY_MISMATCH} for a wrong key
   * @throws StoreUnavailableException when the database cannot be reached
   */
  public static Store open(StoreConfig config, MasterKey masterKey) {
    return open(config, masterKey, Clock.systemUTC());
  }

  /** As {@link #open(StoreConfig, MasterKey)}, with the clock used for timestamps (tests). */
  public static Store open(StoreConfig config, MasterKey masterKey, Clock clock) {
    return JdbiStore.open(config, masterKey, clock);
  }
}
