package io.sightline.store;

import io.sightline.core.SightlineException;

/** The database cannot be reached or answered with a connection error: 503 with Retry-After. */
public class StoreUnavailableException extends SightlineException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String detail, Throwable cause) {
    super("STORE_UNAVAILABLE", 503, null, detail, 5, cause);
  }
}
