package io.sightline.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Masks secrets in text before it leaves the process as a log line or an error message: every
 * registered secret value (see {@link SecretValue}), and anything shaped like a bearer token, a JWT
 * or a Sightline API token, whether or not it was registered.
 */
public final class Redactor {
  /** Values shorter than this are not masked by value (they would mask ordinary words). */
  static final int MIN_REGISTERED_LENGTH = 8;

  private static final int MAX_REGISTERED = 50_000;
  private static final String MASK = "***";

  private static final Pattern SHAPES =
      Pattern.compile(
          // JWT: three base64url segments, the first starting like {"
          "eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*"
              // Sightline API tokens and lease handles
              + "|slt_[A-Za-z0-9_-]{8,}"
              // Authorization: Bearer <anything>
              + "|(?<=[Bb]earer )[A-Za-z0-9._~+/=-]{8,}");

  // Access order, bounded: the most recently registered secrets are the ones still in use.
  private static final Set<String> REGISTERED =
      Collections.synchronizedSet(
          Collections.newSetFromMap(
              new LinkedHashMap<String, Boolean>(1024, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                  return size() > MAX_REGISTERED;
                }
              }));

  private Redactor() {}

  public static void register(String secret) {
    if (secret != null && secret.length() >= MIN_REGISTERED_LENGTH) {
      REGISTERED.add(secret);
    }
  }

  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    String[] snapshot;
    synchronized (REGISTERED) {
      snapshot = REGISTERED.toArray(new String[0]);
    }
    for (String secret : snapshot) {
      if (out.contains(secret)) {
        out = out.replace(secret, MASK);
      }
    }
    return SHAPES.matcher(out).replaceAll(MASK);
  }
}
