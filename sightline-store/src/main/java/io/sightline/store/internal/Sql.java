package io.sightline.store.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.jdbi.v3.core.argument.Argument;

/** Small JDBC helpers shared by the repositories. */
final class Sql {
  private Sql() {}

  /** Instants are stored as UTC {@code TIMESTAMP WITH TIME ZONE}, at millisecond precision. */
  static Argument instant(Instant value) {
    if (value == null) {
      return (pos, st, ctx) -> st.setObject(pos, null, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
    }
    OffsetDateTime odt = value.truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC);
    return (pos, st, ctx) -> st.setObject(pos, odt);
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime odt = rs.getObject(column, OffsetDateTime.class);
    return odt == null ? null : odt.toInstant();
  }

  static Instant millis(Instant value) {
    return value.truncatedTo(ChronoUnit.MILLIS);
  }
}
