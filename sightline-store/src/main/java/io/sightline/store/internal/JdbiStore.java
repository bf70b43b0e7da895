package io.sightline.store.internal;

import io.sightline.store.MasterKey;
import io.sightline.store.Store;
import io.sightline.store.StoreConfig;
import java.time.Clock;

/** The JDBI implementation of {@link Store}. */
public final class JdbiStore {
  private JdbiStore() {}

  public static Store open(StoreConfig config, MasterKey masterKey, Clock clock) {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
