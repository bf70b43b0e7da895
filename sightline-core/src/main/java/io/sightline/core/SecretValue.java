package io.sightline.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A secret: a token, a password, a private key, a kubeconfig with credentials. Its {@link
 * #toString()} never shows the value, and every value created here is registered with the {@link
 * Redactor}, so the log layer masks it wherever it would otherwise appear. Call {@link #reveal()}
 * only where the value must leave the process (to the store's encryption, to a cluster, to a task).
 */
public final class SecretValue {
  private static final String REDACTED = "***";

  private final String value;

  private SecretValue(String value) {
    this.value = value;
  }

  public static SecretValue of(String value) {
    Objects.requireNonNull(value, "value");
    Redactor.register(value);
    return new SecretValue(value);
  }

  public static SecretValue ofUtf8(byte[] bytes) {
    return of(new String(bytes, StandardCharsets.UTF_8));
  }

  public String reveal() {
    return value;
  }

  public byte[] revealUtf8() {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  public boolean isEmpty() {
    return value.isEmpty();
  }

  @Override
  public String toString() {
    return REDACTED;
  }

  /** Constant-time comparison. */
  @Override
  public boolean equals(Object o) {
    return o instanceof SecretValue other
        && MessageDigest.isEqual(revealUtf8(), other.revealUtf8());
  }

  @Override
  public int hashCode() {
    return 0; // never leak anything about the value, not even its hash
  }
}
