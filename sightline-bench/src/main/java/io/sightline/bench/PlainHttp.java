package io.sightline.bench;

import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The load client of the lease figures: blocking {@link HttpURLConnection} with keep-alive, one
 * request per calling thread. {@code java.net.http} cost this process about 2 ms of CPU per lease
 * (selector and executor hand-offs) — on a 2-core machine shared with the server and the emulator,
 * CPU taken from the thing measured. The CLI's own lease client is {@code HttpURLConnection} too.
 */
final class PlainHttp {
  static {
    // Keep-alive connections cached per destination (default 5): one per concurrent client.
    System.setProperty("http.maxConnections", "256");
  }

  private PlainHttp() {}

  record Response(int status, String body) {}

  static Response send(String method, String url, SecretValue token, String json)
      throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setRequestMethod(method);
    c.setConnectTimeout(5000);
    c.setReadTimeout(30000);
    c.setRequestProperty("Authorization", "Bearer " + token.reveal());
    if (json != null) {
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "application/json");
      // Not streamed: headers and body leave in one write (no Nagle/delayed-ACK stall).
      try (OutputStream out = c.getOutputStream()) {
        out.write(json.getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
    String body = "";
    if (in != null) {
      try (in) {
        // Read to the end, so the connection goes back to the keep-alive cache.
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    return new Response(status, body);
  }
}
