package io.sightline.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The 32-byte AES-256 key that wraps every data key and the audit key. Loaded from {@code
 * SIGHTLINE_MASTER_KEY} (base64) or a key file; {@link #source()} says which, so a wrong key's
 * error message can name it. {@link #id()} is a short fingerprint safe to log and to store.
 */
public final class MasterKey {
  public static final int LENGTH = 32;

  private final byte[] key;
  private final String source;
  private final String id;

  private MasterKey(byte[] key, String source) {
    this.key = key.clone();
    this.source = Objects.requireNonNull(source, "source");
    this.id = fingerprint(key);
  }

  public static MasterKey of(byte[] key, String source) {
    if (key == null || key.length != LENGTH) {
      throw new IllegalArgumentException(
          "the master key from "
              + source
              + " must be "
              + LENGTH
              + " bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)");
    }
    return new MasterKey(key, source);
  }

  /** Decodes base64 (standard or URL-safe, surrounding white space ignored). */
  public static MasterKey fromBase64(String encoded, String source) {
    byte[] bytes;
    try {
      String trimmed = encoded == null ? "" : encoded.strip();
      bytes =
          trimmed.contains("-") || trimmed.contains("_")
              ? Base64.getUrlDecoder().decode(trimmed)
              : Base64.getDecoder().decode(trimmed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the master key from " + source + " is not valid base64 (expected 32 random bytes)");
    }
    return of(bytes, source);
  }

  /** Raw key bytes (a copy); only the store's crypto uses this. */
  public byte[] bytes() {
    return key.clone();
  }

  /** Where the key came from: {@code SIGHTLINE_MASTER_KEY} or a file path. */
  public String source() {
    return source;
  }

  /** A fingerprint (first 8 bytes of SHA-256, hex), stored beside what the key wraps. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return "MasterKey[id=" + id + ", source=" + source + "]";
  }

  private static String fingerprint(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return HexFormat.of().formatHex(Arrays.copyOf(digest, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
