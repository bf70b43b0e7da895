package io.sightline.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
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

  private static final Object LOCK = new Object();

  // Insertion order, bounded: the most recently registered secrets are the ones still in use.
  private static final LinkedHashMap<String, Boolean> REGISTERED = new LinkedHashMap<>();

  // The registered values by their first MIN_REGISTERED_LENGTH characters: redacting a line costs
  // one lookup per character of the line, not one scan per registered secret.
  private static final Map<String, Set<String>> BY_PREFIX = new HashMap<>();

  // How many prefixes of BY_PREFIX start with each pair of characters (folded to 16 bits): a line
  // position whose two characters start no prefix is skipped without building a substring, which
  // was most of the redaction cost of every log line.
  private static final int[] FIRST_TWO = new int[1 << 16];

  private Redactor() {}

  public static void register(String secret) {
    if (secret == null || secret.length() < MIN_REGISTERED_LENGTH) {
      return;
    }
    synchronized (LOCK) {
      if (REGISTERED.remove(secret) == null) {
        BY_PREFIX
            .computeIfAbsent(
                prefix(secret),
                k -> {
                  FIRST_TWO[firstTwo(k, 0)]++;
                  return new HashSet<>();
                })
            .add(secret);
      }
      REGISTERED.put(secret, Boolean.TRUE);
      if (REGISTERED.size() > MAX_REGISTERED) {
        String eldest = REGISTERED.keySet().iterator().next();
        REGISTERED.remove(eldest);
        Set<String> same = BY_PREFIX.get(prefix(eldest));
        same.remove(eldest);
        if (same.isEmpty()) {
          BY_PREFIX.remove(prefix(eldest));
          FIRST_TWO[firstTwo(eldest, 0)]--;
        }
      }
    }
  }

  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    for (String secret : registeredIn(text)) {
      out = out.replace(secret, MASK);
    }
    return SHAPES.matcher(out).replaceAll(MASK);
  }

  /** The registered secrets that occur in {@code text}, longest first. */
  private static List<String> registeredIn(String text) {
    List<String> found = new ArrayList<>();
    synchronized (LOCK) {
      if (BY_PREFIX.isEmpty()) {
        return found;
      }
      for (int i = 0; i + MIN_REGISTERED_LENGTH <= text.length(); i++) {
        if (FIRST_TWO[firstTwo(text, i)] == 0) {
          continue;
        }
        Set<String> candidates = BY_PREFIX.get(text.substring(i, i + MIN_REGISTERED_LENGTH));
        if (candidates != null) {
          for (String secret : candidates) {
            if (text.startsWith(secret, i) && !found.contains(secret)) {
              found.add(secret);
            }
          }
        }
      }
    }
    // A secret containing another must be masked before it.
    found.sort(Comparator.comparingInt(String::length).reversed());
    return found;
  }

  private static int firstTwo(String s, int i) {
    return ((s.charAt(i) & 0xff) << 8) | (s.charAt(i + 1) & 0xff);
  }

  private static String prefix(String secret) {
    return secret.substring(0, MIN_REGISTERED_LENGTH);
  }
}
