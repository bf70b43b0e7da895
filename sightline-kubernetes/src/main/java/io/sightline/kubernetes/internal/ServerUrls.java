package io.sightline.kubernetes.internal;

import io.sightline.core.SightlineException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Validation of a cluster's API server URL from untrusted input. */
public final class ServerUrls {
  private ServerUrls() {}

  /** Returns the URL without a trailing slash, or throws a 400 naming {@code field}. */
  public static String validate(String url, String field) {
    if (url == null || url.isBlank()) {
      throw SightlineException.badRequest(
          "INVALID_SERVER_URL",
          field,
          field + " is missing: give the API server URL, e.g. https://cluster.example:6443");
    }
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw SightlineException.badRequest(
          "INVALID_SERVER_URL", field, field + " is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw SightlineException.badRequest(
          "INVALID_SERVER_URL",
          field,
          field + " must start with https:// (or http://), e.g. https://cluster.example:6443");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw SightlineException.badRequest(
          "INVALID_SERVER_URL", field, field + " has no host name or address");
    }
    if (uri.getRawUserInfo() != null) {
      throw SightlineException.badRequest(
          "INVALID_SERVER_URL",
          field,
          field + " must not carry credentials (user:password@); give them as credential fields");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw SightlineException.badRequest(
          "INVALID_SERVER_URL", field, field + " must not have a query (?...) or fragment (#...)");
    }
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }
}
