package io.sightline.cli.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Replaces secrets (and their base64 form) with {@code ***} in a byte stream, also when a secret is
 * split across reads: whatever could still be the start of a secret is held back until the next
 * read (or the end), everything else is written at once so progress output is not delayed.
 *
 * <p>Secrets may be added while streams are being copied (a renewed token).
 */
public final class SecretMasker {
  static final byte[] MASK = "***".getBytes(StandardCharsets.US_ASCII);

  private volatile List<String> secrets = List.of();

  /** Adds a secret and its base64 form; blank values are ignored. */
  public synchronized void add(String secret) {
    if (secret == null || secret.length() < 4) {
      return;
    }
    List<String> next = new ArrayList<>(secrets);
    addForm(next, secret);
    addForm(next, Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));
    // longest first, so a secret that contains another is masked whole
    next.sort((a, b) -> b.length() - a.length());
    secrets = List.copyOf(next);
  }

  private static void addForm(List<String> list, String secret) {
    // bytes as ISO-8859-1 chars: one char per byte, so indexOf works on raw bytes
    String latin = new String(secret.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    if (!list.contains(latin)) {
      list.add(latin);
    }
  }

  /** Copies {@code in} to {@code out} until the end of {@code in}, masking; flushes each read. */
  public void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[8192];
    String pending = "";
    int n;
    while ((n = in.read(buf)) >= 0) {
      if (n == 0) {
        continue;
      }
      pending = pending + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
      pending = mask(pending);
      int hold = heldBack(pending);
      write(out, pending.substring(0, pending.length() - hold));
      pending = pending.substring(pending.length() - hold);
    }
    write(out, pending);
  }

  /** Masks complete occurrences in a whole text (bytes as ISO-8859-1). */
  String mask(String text) {
    List<String> current = secrets;
    for (String s : current) {
      if (text.contains(s)) {
        text = text.replace(s, "***");
      }
    }
    return text;
  }

  /** How many trailing chars could be the beginning of a secret. */
  int heldBack(String text) {
    int best = 0;
    for (String s : secrets) {
      int max = Math.min(s.length() - 1, text.length());
      for (int k = max; k > best; k--) {
        if (text.charAt(text.length() - k) == s.charAt(0)
            && text.regionMatches(text.length() - k, s, 0, k)) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  private static void write(OutputStream out, String latin) throws IOException {
    if (!latin.isEmpty()) {
      out.write(latin.getBytes(StandardCharsets.ISO_8859_1));
    }
    out.flush();
  }
}
