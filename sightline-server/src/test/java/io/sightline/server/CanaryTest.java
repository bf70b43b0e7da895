package io.sightline.server;

import io.sightline.store.Stores;
import java.nio.file.Path;
import java.util.List;

/** The canaries on the embedded H2 store: its database file is read raw. */
class CanaryTest extends CanaryContract {
  @Override
  void useStore(Harness h) {
    h.opener = Stores::open;
  }

  @Override
  String adminToken(Harness h) throws Exception {
    return h.adminToken();
  }

  @Override
  List<Path> storeFiles(Harness h) {
    return List.of(h.dataDir);
  }

  @Override
  void closeStore() {}
}
