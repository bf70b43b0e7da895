package io.sightline.server.trust;

import io.sightline.core.SightlineException;
import java.util.regex.Pattern;

/**
 * A glob over pipeline identities ({@code github:org/app@refs/heads/main}) or token subjects. In a
 * pattern {@code *} matches any run of characters except {@code /} and {@code @}, {@code **}
 * matches any run of characters at all (also none), and every other character matches itself.
 * Matching is case-sensitive and covers the whole value. Examples:
 *
 * <ul>
 *   <li>{@code github:org/app@refs/heads/main} — one repository's main branch
 *   <li>{@code github:org/*@refs/heads/main} — the main branch of every repository of {@code org}
 *   <li>{@code github:org/app@refs/tags/v*} — tags {@code v…} (without a slash)
 *   <li>{@code github:org/app@**} — any ref of one repository
 *   <li>{@code gitlab:group/**@refs/heads/main} — main of every project in a group and subgroups
 * </ul>
 */
public final class IdentityPattern {
  /** Longest pattern accepted. */
  public static final int MAX_LENGTH = 400;

  private static final Pattern TRUST_NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  private final String text;
  private final Pattern regex;

  private IdentityPattern(String text) {
    this.text = text;
    this.regex = compile(text);
  }

  /** A pattern over subjects or identities (no prefix rule). */
  public static IdentityPattern glob(String text) {
    return new IdentityPattern(text);
  }

  /**
   * A permission pattern: {@code <trust name>:<glob>}, where the trust name is literal.
   *
   * @throws SightlineException 400 naming {@code field} and the fix
   */
  public static IdentityPattern parsePermission(String text, String field) {
    if (text == null || text.isBlank()) {
      throw bad(field, "a pipeline pattern is empty: give one like github:org/app@refs/heads/main");
    }
    if (text.length() > MAX_LENGTH || text.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw bad(
          field,
          "pipeline pattern \""
              + shorten(text)
              + "\" is longer than "
              + MAX_LENGTH
              + " characters or contains whitespace: give one like github:org/app@refs/heads/main");
    }
    int colon = text.indexOf(':');
    if (colon <= 0 || !TRUST_NAME.matcher(text.substring(0, colon)).matches()) {
      throw bad(
          field,
          "pipeline pattern \""
              + text
              + "\" must start with the name of a trusted issuer and a colon, e.g."
              + " github:org/app@refs/heads/main (see sightline trust list)");
    }
    if (colon == text.length() - 1) {
      throw bad(field, "pipeline pattern \"" + text + "\" has nothing after the issuer name");
    }
    return new IdentityPattern(text);
  }

  private static SightlineException bad(String field, String detail) {
    return SightlineException.badRequest("INVALID_PIPELINE_PATTERN", field, detail);
  }

  private static String shorten(String s) {
    String t = s.length() > 40 ? s.substring(0, 40) + "…" : s;
    return t.replaceAll("\\p{Cntrl}", "?");
  }

  private static Pattern compile(String glob) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < glob.length()) {
      char c = glob.charAt(i);
      if (c == '*') {
        if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          b.append(".*");
          i += 2;
          while (i < glob.length() && glob.charAt(i) == '*') {
            i++;
          }
          continue;
        }
        b.append("[^/@]*");
      } else {
        b.append(Pattern.quote(String.valueOf(c)));
      }
      i++;
    }
    return Pattern.compile(b.toString(), Pattern.DOTALL);
  }

  public boolean matches(String value) {
    return value != null && regex.matcher(value).matches();
  }

  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }
}
