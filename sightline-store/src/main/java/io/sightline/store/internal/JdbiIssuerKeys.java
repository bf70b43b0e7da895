package io.sightline.store.internal;

import io.sightline.core.SecretValue;
import io.sightline.store.IssuerKeys;
import io.sightline.store.Sealer;
import java.time.Clock;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** The issuer key set in the single row of {@code oidc_issuer_keys} (see V4). */
final class JdbiIssuerKeys implements IssuerKeys {
  private final Handle h;
  private final Sealer sealer;
  private final Clock clock;

  JdbiIssuerKeys(Handle h, Sealer sealer, Clock clock) {
    this.h = h;
    this.sealer = sealer;
    this.clock = clock;
  }

  @Override
  public Optional<SecretValue> load() {
    return read("SELECT sealed FROM oidc_issuer_keys WHERE id = 1");
  }

  @Override
  public Optional<SecretValue> lockAndLoad() {
    return read("SELECT sealed FROM oidc_issuer_keys WHERE id = 1 FOR UPDATE");
  }

  private Optional<SecretValue> read(String sql) {
    Optional<byte[]> sealed =
        h.createQuery(sql).map((rs, ctx) -> Optional.ofNullable(rs.getBytes(1))).one();
    return sealed.map(b -> sealer.open(b, SEAL_CONTEXT));
  }

  @Override
  public void save(SecretValue keySet) {
    h.createUpdate("UPDATE oidc_issuer_keys SET sealed = :s, updated_at = :now WHERE id = 1")
        .bind("s", sealer.seal(keySet, SEAL_CONTEXT))
        .bind("now", Sql.instant(clock.instant()))
        .execute();
  }
}
