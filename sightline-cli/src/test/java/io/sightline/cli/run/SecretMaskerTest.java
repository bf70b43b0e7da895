package io.sightline.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {
  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.payload-of-the-lease.signature";

  /** Hands out its bytes in reads of {@code chunk} bytes, as a pipe might. */
  private static InputStream chunked(String text, int chunk) {
    byte[] all = text.getBytes(StandardCharsets.UTF_8);
    return new InputStream() {
      int pos;

      @Override
      public int read() {
        return pos < all.length ? all[pos++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (pos >= all.length) {
          return -1;
        }
        int n = Math.min(Math.min(len, chunk), all.length - pos);
        System.arraycopy(all, pos, b, off, n);
        pos += n;
        return n;
      }
    };
  }

  private static String copy(SecretMasker m, String text, int chunk) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.copy(chunked(text, chunk), out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a token split across reads is masked, for every split point")
  void tokenSplitAcrossChunks() throws IOException {
    SecretMasker m = new SecretMasker();
    m.add(TOKEN);
    String text = "Authorization: " + TOKEN + "\nend of ünïcode output\n";
    for (int chunk = 1; chunk <= text.length() + 1; chunk++) {
      assertThat(copy(m, text, chunk))
          .as("reads of %d bytes", chunk)
          .isEqualTo("Authorization: ***\nend of ünïcode output\n");
    }
  }

  @Test
  @DisplayName("the token's base64 form is masked too")
  void base64Form() throws IOException {
    SecretMasker m = new SecretMasker();
    m.add(TOKEN);
    String b64 = Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8));
    assertThat(copy(m, "token: " + b64 + " and again " + TOKEN + TOKEN, 7))
        .isEqualTo("token: *** and again ******")
        .doesNotContain(TOKEN);
  }

  @Test
  @DisplayName("text that only starts like the token is held back no longer than needed")
  void prefixIsReleasedAtTheEnd() throws IOException {
    SecretMasker m = new SecretMasker();
    m.add(TOKEN);
    assertThat(m.heldBack("progress 42% eyJhbG")).isEqualTo("eyJhbG".length());
    assertThat(m.heldBack("progress 42%\n")).isZero();
    assertThat(copy(m, "ends with eyJhbG", 4)).isEqualTo("ends with eyJhbG");
  }

  @Test
  @DisplayName("a token added while copying (a renewal) is masked from then on")
  void addedLater() throws IOException {
    SecretMasker m = new SecretMasker();
    m.add(TOKEN);
    m.add("renewed-token-value-123");
    assertThat(copy(m, "a renewed-token-value-123 b", 3)).isEqualTo("a *** b");
  }
}
