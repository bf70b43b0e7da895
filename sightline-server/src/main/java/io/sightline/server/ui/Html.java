package io.sightline.server.ui;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A small HTML builder that escapes every value by construction: text and attribute values are
 * always escaped; tag and attribute names must be plain names (they come from code, never from
 * data). Built fragments nest with {@link #add}. There is no way to add raw markup.
 *
 * <pre>{@code
 * Html h = new Html().open("p", "class", "note").text(userInput).close("p");
 * }</pre>
 */
public final class Html {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");
  private static final java.util.Set<String> BOOLEAN =
      java.util.Set.of(
          "required",
          "checked",
          "selected",
          "disabled",
          "hidden",
          "autofocus",
          "defer",
          "readonly",
          "multiple");

  private final StringBuilder out = new StringBuilder();

  /** Escapes {@code &<>"'} so the value is inert as text and as a quoted attribute value. */
  public static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A path from fixed parts and data segments: {@code path("/ui/connections/", name)}. */
  public static String path(String prefix, String... segments) {
    StringBuilder b = new StringBuilder(prefix);
    for (int i = 0; i < segments.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      b.append(URLEncoder.encode(segments[i], StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return b.toString();
  }

  /** A query-string value, URL-encoded. */
  public static String q(String value) {
    return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8);
  }

  private static String name(String n) {
    if (!NAME.matcher(n).matches()) {
      throw new IllegalArgumentException("not an HTML name: " + n);
    }
    return n;
  }

  /** Writes the doctype (a page's first line). */
  public Html doctype() {
    out.append("<!doctype html>\n");
    return this;
  }

  /**
   * Opens {@code tag} with attributes given as name, value pairs; a null value omits the attribute,
   * a value equal to the name writes a boolean attribute ({@code "required", "required"}).
   */
  public Html open(String tag, String... attrs) {
    out.append('<').append(name(tag));
    attributes(attrs);
    out.append('>');
    return this;
  }

  /** A void element (input, meta, link, br). */
  public Html empty(String tag, String... attrs) {
    return open(tag, attrs);
  }

  public Html close(String tag) {
    out.append("</").append(name(tag)).append('>');
    return this;
  }

  /** {@code <tag attrs>text</tag>}. */
  public Html el(String tag, Object text, String... attrs) {
    return open(tag, attrs).text(text).close(tag);
  }

  /** Escaped text ({@code null} writes nothing). */
  public Html text(Object text) {
    if (text != null) {
      out.append(escape(String.valueOf(text)));
    }
    return this;
  }

  /** Appends a fragment built with this class (already escaped). */
  public Html add(Html fragment) {
    if (fragment != null) {
      out.append(fragment.out);
    }
    return this;
  }

  /** A link: {@code <a href=…>text</a>}. */
  public Html a(String href, Object text, String... attrs) {
    String[] all = new String[attrs.length + 2];
    all[0] = "href";
    all[1] = href;
    System.arraycopy(attrs, 0, all, 2, attrs.length);
    return el("a", text, all);
  }

  private void attributes(String[] attrs) {
    if (attrs.length % 2 != 0) {
      throw new IllegalArgumentException("attributes come in name, value pairs");
    }
    for (int i = 0; i < attrs.length; i += 2) {
      String n = name(attrs[i]);
      String v = attrs[i + 1];
      if (v == null) {
        continue;
      }
      out.append(' ').append(n);
      if (!(BOOLEAN.contains(n) && v.equals(n))) {
        out.append("=\"").append(escape(v)).append('"');
      }
    }
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
