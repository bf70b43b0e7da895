package io.sightline.store.internal;

import io.sightline.core.SecretValue;
import io.sightline.store.Sealer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Sealed format: {@code "SL1"} · id length (1 byte) · data key id (ASCII) · AES-GCM nonce and
 * ciphertext under the data key, with AAD {@code sightline/seal/v1|<data key id>|<context>}.
 */
final class JdbiSealer implements Sealer {
  private static final byte[] MAGIC = "SL1".getBytes(StandardCharsets.US_ASCII);
  private static final String AAD = "sightline/seal/v1|";

  private final Handle handle;
  private final Keyring keyring;
  private final Clock clock;

  JdbiSealer(Handle handle, Keyring keyring, Clock clock) {
    this.handle = handle;
    this.keyring = keyring;
    this.clock = clock;
  }

  @Override
  public byte[] seal(SecretValue value, String context) {
    Objects.requireNonNull(value, "value");
    String ctx = context == null ? "" : context;
    Keyring.DataKey dk = keyring.dataKeyForSeal(handle, clock.instant());
    byte[] id = dk.id().getBytes(StandardCharsets.US_ASCII);
    byte[] body = Crypto.encrypt(dk.key(), value.revealUtf8(), AAD + dk.id() + "|" + ctx);
    return ByteBuffer.allocate(MAGIC.length + 1 + id.length + body.length)
        .put(MAGIC)
        .put((byte) id.length)
        .put(id)
        .put(body)
        .array();
  }

  @Override
  public SecretValue open(byte[] sealed, String context) {
    String id = dataKeyId(sealed);
    byte[] key =
        keyring
            .dataKey(handle, id)
            .orElseThrow(() -> Crypto.unreadable("the sealed value (its data key is gone)"));
    return open(sealed, context, id, key);
  }

  /**
   * Opens {@code sealed} when its data key is in {@code keyring}'s memory, without a transaction;
   * empty otherwise.
   */
  static Optional<SecretValue> openWithKnownKey(Keyring keyring, byte[] sealed, String context) {
    String id = dataKeyId(sealed);
    return keyring.cachedDataKey(id).map(key -> open(sealed, context, id, key));
  }

  private static String dataKeyId(byte[] sealed) {
    if (sealed == null
        || sealed.length < MAGIC.length + 1
        || !Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw Crypto.unreadable("the sealed value");
    }
    int idLength = sealed[MAGIC.length] & 0xff;
    if (idLength == 0 || sealed.length <= MAGIC.length + 1 + idLength) {
      throw Crypto.unreadable("the sealed value");
    }
    return new String(sealed, MAGIC.length + 1, idLength, StandardCharsets.US_ASCII);
  }

  private static SecretValue open(byte[] sealed, String context, String id, byte[] key) {
    String ctx = context == null ? "" : context;
    int bodyStart = MAGIC.length + 1 + id.length();
    try {
      byte[] plain =
          Crypto.decrypt(
              key, Arrays.copyOfRange(sealed, bodyStart, sealed.length), AAD + id + "|" + ctx);
      return SecretValue.ofUtf8(plain);
    } catch (GeneralSecurityException e) {
      throw Crypto.unreadable("the sealed value");
    }
  }
}
