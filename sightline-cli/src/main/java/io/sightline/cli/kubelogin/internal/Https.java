package io.sightline.cli.kubelogin.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.azure.AzureTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/** Small HTTP calls of the cold path: form posts to Entra, GETs of CI token endpoints. */
final class Https {
  static final ObjectMapper JSON = new ObjectMapper();

  private Https() {}

  /** An answer: status and JSON body (an empty object when the body is not JSON). */
  record Answer(int status, JsonNode json) {}

  /** TLS trust: exactly the PEM bundle in {@code SSL_CERT_FILE}, else the JVM's. */
  static SSLContext ssl(Map<String, String> env) {
    String bundle = env.get("SSL_CERT_FILE");
    return bundle == null || bundle.isBlank()
        ? AzureTls.defaults()
        : AzureTls.caBundle(Path.of(bundle.trim()));
  }

  static String form(Map<String, String> fields) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, String> e : fields.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      if (b.length() > 0) {
        b.append('&');
      }
      b.append(enc(e.getKey())).append('=').append(enc(e.getValue()));
    }
    return b.toString();
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static Answer send(
      SSLContext ssl,
      String method,
      URI url,
      Map<String, String> headers,
      String formBody,
      Duration timeout)
      throws IOException {
    HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection(Proxy.NO_PROXY);
    if (c instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(ssl.getSocketFactory());
    }
    int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    c.setConnectTimeout(Math.min(ms, 10_000));
    c.setReadTimeout(ms);
    c.setInstanceFollowRedirects(false);
    c.setRequestMethod(method);
    c.setRequestProperty("Accept", "application/json");
    for (Map.Entry<String, String> h : headers.entrySet()) {
      c.setRequestProperty(h.getKey(), h.getValue());
    }
    if (formBody != null) {
      byte[] bytes = formBody.getBytes(StandardCharsets.UTF_8);
      c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
      c.setDoOutput(true);
      c.setFixedLengthStreamingMode(bytes.length);
      try (OutputStream out = c.getOutputStream()) {
        out.write(bytes);
      }
    }
    int status = c.getResponseCode();
    byte[] body;
    try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
      body = in == null ? new byte[0] : in.readAllBytes();
    }
    JsonNode json;
    try {
      json = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      json = JSON.createObjectNode();
    }
    return new Answer(status, json == null ? JSON.createObjectNode() : json);
  }
}
