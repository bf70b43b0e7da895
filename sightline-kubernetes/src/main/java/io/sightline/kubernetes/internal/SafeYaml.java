package io.sightline.kubernetes.internal;

import io.sightline.core.SightlineException;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Loads untrusted YAML or JSON (JSON is YAML) into plain maps, lists and scalars: a size cap
 * checked before parsing, an alias cap (alias bombs), no recursive keys, no duplicate keys, the
 * core schema only (an unknown tag such as {@code !!java/object} is an error, never a constructor).
 */
public final class SafeYaml {
  /** Largest document accepted, in characters (a kubeconfig is a few KiB). */
  public static final int MAX_CHARS = 1024 * 1024;

  private static final int MAX_ALIASES = 50;

  private SafeYaml() {}

  /**
   * Parses {@code text} as one YAML/JSON mapping.
   *
   * @param field the request field the text came from, named in errors
   * @param what what the document should be ("a kubeconfig"), named in errors
   */
  public static Map<String, Object> loadMapping(String text, String field, String what) {
    if (text == null || text.isBlank()) {
      throw SightlineException.badRequest(
          "INVALID_INPUT", field, field + " is empty: give " + what);
    }
    if (text.length() > MAX_CHARS) {
      throw new SightlineException(
          "INPUT_TOO_LARGE",
          413,
          field,
          field
              + " is "
              + text.length()
              + " characters; at most "
              + MAX_CHARS
              + " are accepted for "
              + what);
    }
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(field)
            .setCodePointLimit(MAX_CHARS)
            .setMaxAliasesForCollections(MAX_ALIASES)
            .setAllowRecursiveKeys(false)
            .setAllowDuplicateKeys(false)
            .setAllowNonScalarKeys(false)
            .setSchema(new CoreSchema())
            .setUseMarks(true)
            .build();
    Object root;
    try {
      root = new Load(settings).loadFromString(text);
    } catch (YamlEngineException e) {
      String reason = firstLine(e.getMessage());
      if (reason.contains("aliases")) {
        throw SightlineException.badRequest(
            "YAML_ALIAS_LIMIT",
            field,
            field
                + " uses more than "
                + MAX_ALIASES
                + " YAML aliases (a possible alias bomb); expand them or remove them");
      }
      throw SightlineException.badRequest(
          "INVALID_YAML", field, field + " is not valid YAML or JSON: " + reason);
    } catch (RuntimeException e) {
      // snakeyaml may throw other runtime errors on hostile input (e.g. deep nesting).
      throw SightlineException.badRequest(
          "INVALID_YAML",
          field,
          field + " could not be parsed as YAML or JSON (" + e.getClass().getSimpleName() + ")");
    }
    if (!(root instanceof Map)) {
      throw SightlineException.badRequest(
          "INVALID_INPUT", field, field + " must be a YAML or JSON mapping: give " + what);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) root;
    return map;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "parse error";
    }
    // The engine's messages quote a snippet of the input around the error; keep only the reason
    // and its position, so no credential fragment is echoed.
    String first = message.strip().split("\n", 2)[0];
    return first.length() > 200 ? first.substring(0, 200) : first;
  }
}
