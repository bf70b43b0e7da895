package io.sightline.connections.internal;

import io.sightline.core.SightlineException;
import java.util.function.Supplier;

/** Renames the field of errors from the kubernetes module to the connection's wire field. */
public final class Errors {
  private Errors() {}

  public static <T> T withField(String from, String to, Supplier<T> work) {
    try {
      return work.get();
    } catch (SightlineException e) {
      String f = e.field();
      if (f != null && (f.equals(from) || f.startsWith(from + ".") || f.startsWith(from + "["))) {
        String renamed = to + f.substring(from.length());
        String detail = e.getMessage() == null ? null : e.getMessage().replace(from, to);
        throw new SightlineException(
            e.code(), e.status(), renamed, detail, e.retryAfterSeconds(), null);
      }
      throw e;
    }
  }
}
