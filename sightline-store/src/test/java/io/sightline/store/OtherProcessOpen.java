package io.sightline.store;

import io.sightline.core.SightlineException;
import java.nio.file.Path;
import java.util.Base64;

/** Run in a second JVM by {@link H2StoreTest}: tries to open the embedded store at args[0]. */
public final class OtherProcessOpen {
  private OtherProcessOpen() {}

  public static void main(String[] args) {
    MasterKey key = MasterKey.of(Base64.getDecoder().decode(args[1]), "test key");
    try (Store store = Stores.open(StoreConfig.embedded(Path.of(args[0])), key)) {
      System.out.println("OPENED " + store.describe());
    } catch (SightlineException e) {
      System.out.println("FAILED " + e.code() + ": " + e.getMessage());
    }
  }
}
