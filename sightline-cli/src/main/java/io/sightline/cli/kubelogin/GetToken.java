package io.sightline.cli.kubelogin;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * {@code sightline kubelogin get-token}: kubectl's exec plugin for Entra ID clusters.
 *
 * <p>The warm path (a cached token with more than 5 minutes left) touches only this package's small
 * classes and the JDK: no picocli, no JSON library, no logging, no azure-identity. A miss takes the
 * entry's file lock, looks again (another process may have just fetched), and only then signs in
 * through {@code internal.EntraLogin}, the one class that reaches azure-identity.
 */
public final class GetToken {
  /** A cached token is refreshed when less than this is left. */
  public static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);

  private GetToken() {}

  /** Runs {@code get-token} with its arguments; answers the exit code. */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    try {
      for (String a : args) {
        if (a.equals("-h") || a.equals("--help")) {
          out.print(GetTokenOptions.USAGE);
          out.flush();
          return 0;
        }
      }
      GetTokenOptions o = GetTokenOptions.parse(args, env);
      String apiVersion = ExecCredential.apiVersion(env);
      TokenCache.Entry token = token(o, err);
      out.println(ExecCredential.json(apiVersion, token.revealToken(), token.expiresAt()));
      out.flush();
      return 0;
    } catch (KubeloginException e) {
      return fail(err, e.getMessage(), e.exitCode());
    } catch (Exception e) {
      return fail(err, describe(e), 1);
    }
  }

  static int fail(PrintStream err, String message, int code) {
    err.println("sightline kubelogin: ".concat(oneLine(message)));
    err.flush();
    return code;
  }

  /** A token: from the cache when fresh, else fetched once across parallel processes. */
  static TokenCache.Entry token(GetTokenOptions o, PrintStream err) throws Exception {
    if (!o.cache()) {
      return fetch(o, null, err);
    }
    TokenCache cache = new TokenCache(o.cacheDir());
    String key = o.cacheKey();
    TokenCache.Entry hit = cache.read(key);
    if (hit != null && hit.freshFor(REFRESH_MARGIN, Instant.now())) {
      return hit;
    }
    return cache.refill(key, REFRESH_MARGIN, o.timeout(), new EntraFetch(o, err));
  }

  /** On a miss: signs in through {@code internal.EntraLogin}, refreshing {@code previous}. */
  private static final class EntraFetch implements TokenCache.Fetch {
    private final GetTokenOptions o;
    private final PrintStream err;

    EntraFetch(GetTokenOptions o, PrintStream err) {
      this.o = o;
      this.err = err;
    }

    @Override
    public TokenCache.Entry fetch(TokenCache.Entry previous) {
      return GetToken.fetch(o, previous, err);
    }
  }

  private static TokenCache.Entry fetch(
      GetTokenOptions o, TokenCache.Entry previous, PrintStream err) {
    return io.sightline.cli.kubelogin.internal.EntraLogin.fetch(o, previous, err);
  }

  static String describe(Exception e) {
    // by name: naming the type here would load it (and what it links to) on every warm call
    if (e instanceof RuntimeException
        && e.getClass().getName().equals("io.sightline.core.SightlineException")) {
      return e.getMessage();
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied: " + e.getMessage();
    }
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file: " + e.getMessage();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  static String oneLine(String s) {
    if (s == null) {
      return "failed";
    }
    String t = s.replace('\r', ' ').strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl).strip();
  }
}
