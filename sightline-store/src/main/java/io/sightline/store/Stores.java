package io.sightline.store;

/** Opens stores. */
public final class Stores {
  private Stores() {}

  /**
   * Opens (and migrates) the store and checks {@code masterKey} against what it encrypted before. A
   * wrong key fails with a message naming {@link MasterKey#source()} and changes nothing.
   */
  public static Store open(StoreConfig config, MasterKey masterKey) {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
