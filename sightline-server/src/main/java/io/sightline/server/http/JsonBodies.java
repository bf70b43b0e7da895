package io.sightline.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.http.Context;
import io.sightline.core.SightlineException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads request bodies strictly and safely: at most {@link #MAX_BODY_BYTES} (checked on {@code
 * Content-Length} and while streaming), unknown fields refused, no silent type coercion, and every
 * Jackson failure turned into a 400 naming the field — never a 500 for bad input.
 */
public final class JsonBodies {
  public static final int MAX_BODY_BYTES = 1024 * 1024;

  private final ObjectMapper mapper;

  public JsonBodies() {
    this.mapper = mapper();
  }

  /** The strict mapper for requests and responses. */
  public static ObjectMapper mapper() {
    ObjectMapper m =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();
    m.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Integer)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    return m;
  }

  public ObjectMapper objectMapper() {
    return mapper;
  }

  /** Reads the body of {@code ctx} as {@code type}. */
  public <T> T read(Context ctx, Class<T> type) {
    return parse(readLimited(ctx), type);
  }

  /** Parses bytes as {@code type}, mapping every failure to a 400. */
  public <T> T parse(byte[] body, Class<T> type) {
    if (body.length == 0 || new String(body, 0, Math.min(body.length, 64)).isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_BODY", null, "this request needs a JSON object body");
    }
    try {
      T value = mapper.readValue(body, type);
      if (value == null) {
        throw SightlineException.badRequest(
            "INVALID_TYPE", null, "the body must be a JSON object, not null");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      String field = path(e);
      List<String> known =
          e.getKnownPropertyIds() == null
              ? List.of()
              : e.getKnownPropertyIds().stream().map(String::valueOf).collect(Collectors.toList());
      throw SightlineException.badRequest(
          "UNKNOWN_FIELD",
          field,
          "unknown field \""
              + field
              + "\": remove it"
              + (known.isEmpty()
                  ? ""
                  : " (accepted: " + String.join(", ", new TreeSet<>(known)) + ")"));
    } catch (MismatchedInputException e) {
      String field = path(e);
      if (field == null) {
        throw SightlineException.badRequest("INVALID_TYPE", null, "the body must be a JSON object");
      }
      throw SightlineException.badRequest(
          "INVALID_TYPE", field, "field \"" + field + "\" must be " + describe(e.getTargetType()));
    } catch (JsonMappingException e) {
      String field = path(e);
      Throwable root = e.getCause() instanceof SightlineException se ? se : null;
      if (root != null) {
        throw (SightlineException) root;
      }
      throw SightlineException.badRequest(
          "INVALID_VALUE",
          field,
          field == null ? "the body has an invalid value" : "field \"" + field + "\" is invalid");
    } catch (JsonParseException e) {
      var loc = e.getLocation();
      throw SightlineException.badRequest(
          "MALFORMED_JSON",
          null,
          "the body is not valid JSON"
              + (loc == null
                  ? ""
                  : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")")
              + ": send a JSON object");
    } catch (JsonProcessingException e) {
      throw SightlineException.badRequest(
          "MALFORMED_JSON", null, "the body is not valid JSON: send a JSON object");
    } catch (IOException e) {
      throw SightlineException.badRequest("MALFORMED_JSON", null, "the body could not be read");
    }
  }

  /** The body bytes, refusing more than {@link #MAX_BODY_BYTES} with 413. */
  public static byte[] readLimited(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > MAX_BODY_BYTES) {
      throw tooLarge();
    }
    try (InputStream in = ctx.req().getInputStream()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > MAX_BODY_BYTES) {
          throw tooLarge();
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw SightlineException.badRequest(
          "BODY_UNREADABLE", null, "the request body could not be read completely");
    }
  }

  /**
   * Reads and discards what is left of the request body (at most {@link #MAX_BODY_BYTES}) before an
   * error answer. A request refused before its body was read (a 401 ahead of a large upload, say)
   * made Jetty close the connection while the client was still sending; the client then saw a reset
   * instead of the answer. Never throws: the answer is written either way.
   */
  static void drainUnread(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared == 0 || declared > MAX_BODY_BYTES) {
      return;
    }
    try {
      InputStream in = ctx.req().getInputStream();
      byte[] buf = new byte[8192];
      long total = 0;
      int n;
      while (total <= MAX_BODY_BYTES && (n = in.read(buf)) > 0) {
        total += n;
      }
    } catch (IOException | RuntimeException e) {
      // Read already, closed, or the client went away: nothing left to drain.
    }
  }

  private static SightlineException tooLarge() {
    return new SightlineException(
        "BODY_TOO_LARGE",
        413,
        null,
        "the request body is larger than " + MAX_BODY_BYTES / 1024 + " KiB: send less");
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  private static String describe(Class<?> t) {
    if (t == null) {
      return "of another type";
    }
    if (t == String.class) {
      return "a string";
    }
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
      return "an integer";
    }
    if (t == boolean.class || t == Boolean.class) {
      return "true or false";
    }
    if (List.class.isAssignableFrom(t) || t.isArray()) {
      return "an array";
    }
    if (t.isEnum()) {
      return "a string";
    }
    return "an object";
  }
}
