package io.sightline.server.http;

import io.javalin.http.Context;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** The request id: the caller's {@code X-Request-Id} when it is sane, otherwise a fresh one. */
public final class RequestIds {
  public static final String HEADER = "X-Request-Id";
  static final String ATTRIBUTE = "sightline.requestId";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private RequestIds() {}

  static String assign(Context ctx) {
    String given = ctx.header(HEADER);
    String id = given != null && SANE.matcher(given).matches() ? given : fresh();
    ctx.attribute(ATTRIBUTE, id);
    ctx.header(HEADER, id);
    return id;
  }

  public static String current(Context ctx) {
    String id = ctx.attribute(ATTRIBUTE);
    return id == null ? assign(ctx) : id;
  }

  public static String fresh() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
