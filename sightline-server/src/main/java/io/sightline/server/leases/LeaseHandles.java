package io.sightline.server.leases;

import io.sightline.core.SecretValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Lease handles ({@code slh_} + 256 random bits) and the hashes stored for them and tokens. */
public final class LeaseHandles {
  public static final String PREFIX = "slh_";
  public static final String PRINCIPAL_PREFIX = "lease-handle:";
  private static final SecureRandom RANDOM = new SecureRandom();

  private LeaseHandles() {}

  public static SecretValue newHandle() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretValue.of(PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b));
  }

  /** A fresh lease id: 32 lowercase hex characters (names the Secret sightline-lease-<id>). */
  public static String newLeaseId() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  public static String sha256(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
