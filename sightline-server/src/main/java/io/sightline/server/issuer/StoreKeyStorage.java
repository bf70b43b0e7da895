package io.sightline.server.issuer;

import io.sightline.azure.KeyStorage;
import io.sightline.core.AuditEvent;
import io.sightline.core.SecretValue;
import io.sightline.store.Store;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The issuer's keys in the store: sealed at rest, shared by every replica. Each change runs in one
 * transaction that locks the key set first, saves it and appends one audit record per changed key
 * ({@code oidc-issuer.key.staged|activated|retired|removed}), so replicas never create two
 * different first keys and a rotation is never without its audit record. The first key, made on the
 * first start like the store's own keys, is not audited (its creation time is shown by {@code GET
 * /api/v1/issuer}).
 */
public final class StoreKeyStorage implements KeyStorage {
  private final Store store;

  public StoreKeyStorage(Store store) {
    this.store = store;
  }

  @Override
  public Optional<String> load() {
    return store.transact(tx -> tx.issuerKeys().load()).map(SecretValue::reveal);
  }

  @Override
  public void save(String keyMaterial) {
    store.transact(
        tx -> {
          tx.issuerKeys().lockAndLoad();
          tx.issuerKeys().save(SecretValue.of(keyMaterial));
          return null;
        });
  }

  @Override
  public String update(Function<Optional<String>, Update> change) {
    return store.transact(
        tx -> {
          Optional<String> current = tx.issuerKeys().lockAndLoad().map(SecretValue::reveal);
          Update u = change.apply(current);
          if (!u.changes().isEmpty()) {
            tx.issuerKeys().save(SecretValue.of(u.material()));
            for (Change c : u.changes()) {
              if (c.action().equals("created")) {
                continue;
              }
              Map<String, Object> details = new LinkedHashMap<>();
              details.put("keyId", c.keyId());
              tx.audit()
                  .append(
                      new AuditEvent(
                          "oidc-issuer.key." + c.action(),
                          u.actor(),
                          "oidc-issuer/key/" + c.keyId(),
                          "success",
                          null,
                          details));
            }
          }
          return u.material();
        });
  }
}
