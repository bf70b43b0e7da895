package io.sightline.store.internal;

import io.sightline.core.SightlineException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** AES-256-GCM and HMAC-SHA256 from the JDK, and random ids. */
final class Crypto {
  static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private Crypto() {}

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** A random lowercase hex id of {@code bytes} random bytes. */
  static String randomId(int bytes) {
    return HEX.formatHex(randomBytes(bytes));
  }

  /** nonce (12 bytes) || ciphertext+tag. */
  static byte[] encrypt(byte[] key, byte[] plaintext, String aad) {
    try {
      byte[] nonce = randomBytes(NONCE_BYTES);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
      byte[] ct = c.doFinal(plaintext);
      return ByteBuffer.allocate(nonce.length + ct.length).put(nonce).put(ct).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * Decrypts {@link #encrypt}'s output.
   *
   * @throws GeneralSecurityException when the key, the AAD or the bytes are wrong
   */
  static byte[] decrypt(byte[] key, byte[] sealed, String aad) throws GeneralSecurityException {
    if (sealed == null || sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new GeneralSecurityException("too short");
    }
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(key, "AES"),
        new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
    c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
    return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
  }

  static byte[] hmac(byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] p : parts) {
        mac.update(p);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  static String hmacHex(byte[] key, String text) {
    return HEX.formatHex(hmac(key, text.getBytes(StandardCharsets.UTF_8)));
  }

  static String sha256Hex(String text) {
    try {
      return HEX.formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The fingerprint used as a key id: first 8 bytes of SHA-256, hex (as MasterKey does). */
  static String keyId(byte[] key) {
    try {
      return HEX.formatHex(Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(key), 8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean constantTimeEquals(String a, String b) {
    return a != null
        && b != null
        && MessageDigest.isEqual(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  static SightlineException unreadable(String what) {
    return new SightlineException(
        "SEALED_VALUE_UNREADABLE",
        500,
        null,
        what
            + " cannot be decrypted: it was altered, copied from another record, or sealed under"
            + " a master key this server does not hold");
  }
}
