package io.sightline.cli;

import io.sightline.cli.client.ApiClient;
import io.sightline.cli.client.CliConfig;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * What a command may touch of its surroundings: the environment, standard streams and the login
 * config. Injected (not read from {@code System}) so that tests run commands in-process.
 *
 * <p>Machine output (JSON, tokens, ExecCredential) goes to {@link #out()}; everything for people to
 * {@link #err()}.
 */
public record CliContext(
    Map<String, String> env, InputStream in, PrintWriter out, PrintWriter err, CliConfig config) {

  public static final String DEFAULT_SERVER = "http://127.0.0.1:8480";

  public String envOr(String name, String fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  /**
   * A client for the server named by {@code --server}, else {@code SIGHTLINE_SERVER}, else the
   * login config, else the embedded default; with the token from {@code SIGHTLINE_TOKEN}, else the
   * login config (only when it was stored for that same server).
   */
  public ApiClient client(String serverOption) {
    var login = config.read();
    String server = serverOption;
    if (server == null || server.isBlank()) {
      server = envOr("SIGHTLINE_SERVER", login.map(CliConfig.Login::server).orElse(DEFAULT_SERVER));
    }
    String token = env.get("SIGHTLINE_TOKEN");
    if (token == null || token.isBlank()) {
      String s = server;
      token =
          login
              .filter(l -> l.server() != null && trimSlash(l.server()).equals(trimSlash(s)))
              .map(CliConfig.Login::token)
              .orElse(null);
    }
    return new ApiClient(parseServer(server), token, Duration.ofSeconds(60));
  }

  public static URI parseServer(String server) {
    try {
      URI uri = URI.create(server.strip());
      if (uri.getScheme() == null
          || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
          || uri.getHost() == null) {
        throw new IllegalArgumentException();
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--server must be an http:// or https:// URL such as "
              + DEFAULT_SERVER
              + " (got \""
              + server
              + "\")");
    }
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
