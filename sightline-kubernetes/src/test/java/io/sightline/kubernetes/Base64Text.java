package io.sightline.kubernetes;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

final class Base64Text {
  private Base64Text() {}

  static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
