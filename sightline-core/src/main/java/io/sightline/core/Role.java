package io.sightline.core;

import java.util.Locale;

/** Caller roles. They nest: {@code admin} ⊇ {@code creator} ⊇ {@code user} ⊇ {@code reader}. */
public enum Role {
  READER,
  USER,
  CREATOR,
  ADMIN;

  /** True when a holder of this role may do what {@code required} allows. */
  public boolean includes(Role required) {
    return ordinal() >= required.ordinal();
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code admin|creator|user|reader}.
   *
   * @throws SightlineException 400 naming {@code field} and the accepted values
   */
  public static Role parse(String value, String field) {
    if (value != null) {
      for (Role r : values()) {
        if (r.wireName().equals(value.trim().toLowerCase(Locale.ROOT))) {
          return r;
        }
      }
    }
    throw SightlineException.badRequest(
        "INVALID_ROLE",
        field,
        field + " must be one of admin, creator, user, reader (got " + quoted(value) + ")");
  }

  private static String quoted(String v) {
    return v == null ? "nothing" : "\"" + (v.length() > 40 ? v.substring(0, 40) + "…" : v) + "\"";
  }
}
