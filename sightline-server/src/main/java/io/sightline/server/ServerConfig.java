package io.sightline.server;

import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.server.issuer.OidcSettings;
import io.sightline.server.leases.LeaseSettings;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * The server's configuration: one immutable, validated tree built once at startup from flags >
 * environment > {@code sightline.yaml} > defaults. Every key is dotted ({@code sightline.db.url});
 * its environment variable is derived mechanically ({@code SIGHTLINE_DB_URL}) by {@link
 * #envName(String)}. Any error stops startup with a {@link StartupException} naming the key and the
 * fix.
 */
public record ServerConfig(
    int port,
    String bind,
    Path dataDir,
    String dbUrl,
    String dbUser,
    SecretValue dbPassword,
    URI publicUrl,
    Path tlsCert,
    Path tlsKey,
    boolean allowPlaintext,
    LogFormat logFormat,
    Duration tokenTtl,
    Path auditCheckpointFile,
    Duration auditCheckpointInterval,
    SecretValue masterKey,
    Path masterKeyFile,
    SecretValue bootstrapToken,
    int dbPoolSize,
    List<String> egressAllow,
    List<String> egressDeny,
    List<String> egressPrivateRanges,
    int probesPerMinute,
    LeaseSettings leases,
    Path trustCaFile,
    OidcSettings oidc) {

  /** Output format of the log. */
  public enum LogFormat {
    TEXT,
    JSON
  }

  public static final String PORT = "sightline.port";
  public static final String BIND = "sightline.bind";
  public static final String DATA_DIR = "sightline.data-dir";
  public static final String DB_URL = "sightline.db.url";
  public static final String DB_USER = "sightline.db.user";
  public static final String DB_PASSWORD = "sightline.db.password";
  public static final String DB_PASSWORD_FILE = "sightline.db.password-file";
  public static final String DB_POOL_SIZE = "sightline.db.pool-size";
  public static final String PUBLIC_URL = "sightline.public-url";
  public static final String TLS_CERT = "sightline.tls.cert";
  public static final String TLS_KEY = "sightline.tls.key";
  public static final String ALLOW_PLAINTEXT = "sightline.allow-plaintext";
  public static final String LOG_FORMAT = "sightline.log.format";
  public static final String TOKEN_TTL = "sightline.token-ttl";
  public static final String AUDIT_CHECKPOINT_FILE = "sightline.audit.checkpoint-file";
  public static final String AUDIT_CHECKPOINT_INTERVAL = "sightline.audit.checkpoint-interval";
  public static final String MASTER_KEY = "sightline.master-key";
  public static final String MASTER_KEY_FILE = "sightline.master-key-file";
  public static final String BOOTSTRAP_TOKEN = "sightline.bootstrap-token";
  public static final String BOOTSTRAP_TOKEN_FILE = "sightline.bootstrap-token-file";

  /** CIDR ranges outbound calls to user-supplied addresses may reach (empty: all but denied). */
  public static final String EGRESS_ALLOW = "sightline.egress.allow";

  /** CIDR ranges they may never reach (on top of the always-denied metadata/link-local ones). */
  public static final String EGRESS_DENY = "sightline.egress.deny";

  /** CIDR ranges that count as private for PRIVATE_ENDPOINT_UNREACHABLE. */
  public static final String EGRESS_PRIVATE_RANGES = "sightline.egress.private-ranges";

  /** Probes each caller may start per minute (a burst of that many, refilled over a minute). */
  public static final String PROBE_RATE = "sightline.probe.rate";

  /** The longest TTL one lease token gets (longer requests are capped, with a warning). */
  public static final String LEASE_MAX_TTL = "sightline.lease.max-ttl";

  /** The longest a lease lives, renewals included. */
  public static final String LEASE_MAX_LIFETIME = "sightline.lease.max-lifetime";

  /** Whether connections without a deployer may hand out their stored (static) credential. */
  public static final String LEASE_ALLOW_STATIC = "sightline.lease.allow-static";

  /** How often the lease reaper deletes the bound Secrets of expired leases. */
  public static final String LEASE_REAP_INTERVAL = "sightline.lease.reap-interval";

  /**
   * A PEM bundle of CAs trusted (besides the JVM's) when fetching OIDC issuers' discovery documents
   * and JWKS, e.g. a self-hosted GitLab behind a private CA.
   */
  public static final String TRUST_CA_FILE = "sightline.trust.ca-file";

  /**
   * The {@code iss} of the server's OIDC assertions (default: the public URL, else its own URL).
   */
  public static final String OIDC_ISSUER_URL = "sightline.oidc.issuer-url";

  /** The server's name in assertion subjects {@code sc://<server-name>/<connection>}. */
  public static final String OIDC_SERVER_NAME = "sightline.oidc.server-name";

  /** How long an OIDC issuer signing key signs before the next one takes over. */
  public static final String OIDC_KEY_ROTATION = "sightline.oidc.key-rotation";

  /** How long the next issuer key is published in the JWKS before it signs. */
  public static final String OIDC_KEY_PUBLISH_AHEAD = "sightline.oidc.key-publish-ahead";

  /** Every key with its default (null: none). Secrets are accepted from the environment only. */
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  private static final List<String> ENV_ONLY = List.of(DB_PASSWORD, MASTER_KEY, BOOTSTRAP_TOKEN);

  static {
    DEFAULTS.put(PORT, "8480");
    DEFAULTS.put(BIND, "127.0.0.1");
    DEFAULTS.put(DATA_DIR, "./sightline-data");
    DEFAULTS.put(DB_URL, null);
    DEFAULTS.put(DB_USER, null);
    DEFAULTS.put(DB_PASSWORD, null);
    DEFAULTS.put(DB_PASSWORD_FILE, null);
    DEFAULTS.put(DB_POOL_SIZE, "10");
    DEFAULTS.put(PUBLIC_URL, null);
    DEFAULTS.put(TLS_CERT, null);
    DEFAULTS.put(TLS_KEY, null);
    DEFAULTS.put(ALLOW_PLAINTEXT, "false");
    DEFAULTS.put(LOG_FORMAT, "text");
    DEFAULTS.put(TOKEN_TTL, "90d");
    DEFAULTS.put(AUDIT_CHECKPOINT_FILE, null);
    DEFAULTS.put(AUDIT_CHECKPOINT_INTERVAL, "60s");
    DEFAULTS.put(MASTER_KEY, null);
    DEFAULTS.put(MASTER_KEY_FILE, null);
    DEFAULTS.put(BOOTSTRAP_TOKEN, null);
    DEFAULTS.put(BOOTSTRAP_TOKEN_FILE, null);
    DEFAULTS.put(EGRESS_ALLOW, null);
    DEFAULTS.put(EGRESS_DENY, null);
    DEFAULTS.put(EGRESS_PRIVATE_RANGES, String.join(",", EgressPolicy.DEFAULT_PRIVATE_RANGES));
    DEFAULTS.put(PROBE_RATE, "30");
    DEFAULTS.put(LEASE_MAX_TTL, "1h");
    DEFAULTS.put(LEASE_MAX_LIFETIME, "12h");
    DEFAULTS.put(LEASE_ALLOW_STATIC, "true");
    DEFAULTS.put(LEASE_REAP_INTERVAL, "30s");
    DEFAULTS.put(TRUST_CA_FILE, null);
    DEFAULTS.put(OIDC_ISSUER_URL, null);
    DEFAULTS.put(OIDC_SERVER_NAME, OidcSettings.DEFAULT_SERVER_NAME);
    DEFAULTS.put(OIDC_KEY_ROTATION, "30d");
    DEFAULTS.put(OIDC_KEY_PUBLISH_AHEAD, "7d");
  }

  private static final int MAX_YAML_BYTES = 256 * 1024;

  public ServerConfig {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(tokenTtl, "tokenTtl");
    Objects.requireNonNull(auditCheckpointInterval, "auditCheckpointInterval");
    leases = leases == null ? LeaseSettings.defaults() : leases;
    oidc = oidc == null ? OidcSettings.defaults() : oidc;
    egressAllow = egressAllow == null ? List.of() : List.copyOf(egressAllow);
    egressDeny = egressDeny == null ? List.of() : List.copyOf(egressDeny);
    egressPrivateRanges =
        egressPrivateRanges == null
            ? EgressPolicy.DEFAULT_PRIVATE_RANGES
            : List.copyOf(egressPrivateRanges);
  }

  /** The egress rules for probes and provisioning, from the three egress keys. */
  public EgressPolicy egressPolicy() {
    return EgressPolicy.builder()
        .allow(egressAllow)
        .deny(egressDeny)
        .privateRanges(egressPrivateRanges)
        .build();
  }

  /** Every known dotted key, in a stable order. */
  public static List<String> keys() {
    return List.copyOf(DEFAULTS.keySet());
  }

  /**
   * {@code sightline.db.url} → {@code SIGHTLINE_DB_URL}; {@code -} and {@code .} become {@code _}.
   */
  public static String envName(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** The flag that sets {@code key}, for messages: {@code sightline.db.url} → {@code --db-url}. */
  public static String flagName(String key) {
    String rest = key.substring("sightline.".length());
    return "--" + rest.replace('.', '-');
  }

  public boolean isExternalDb() {
    return dbUrl != null;
  }

  public boolean isTls() {
    return tlsCert != null;
  }

  /** A config with defaults only (for tests). */
  public static ServerConfig defaults() {
    return load(Map.of(), Map.of(), null);
  }

  /**
   * Builds the config.
   *
   * @param flags values given on the command line, by dotted key (absent keys: not given)
   * @param env the process environment (injected so tests can supply their own)
   * @param yamlFile {@code sightline.yaml}, or null for none
   * @throws StartupException naming the key and the fix
   */
  public static ServerConfig load(
      Map<String, String> flags, Map<String, String> env, Path yamlFile) {
    Map<String, String> yaml = yamlFile == null ? Map.of() : readYaml(yamlFile);
    Map<String, String> merged = new LinkedHashMap<>();
    Map<String, String> origin = new LinkedHashMap<>();
    for (String key : DEFAULTS.keySet()) {
      String env1 = env.get(envName(key));
      if (flags.get(key) != null) {
        merged.put(key, flags.get(key));
        origin.put(key, flagName(key));
      } else if (env1 != null && !env1.isBlank()) {
        merged.put(key, env1);
        origin.put(key, envName(key));
      } else if (yaml.get(key) != null) {
        merged.put(key, yaml.get(key));
        origin.put(key, key + " in " + yamlFile);
      } else if (DEFAULTS.get(key) != null) {
        merged.put(key, DEFAULTS.get(key));
        origin.put(key, "the default of " + key);
      }
    }
    return new Parser(merged, origin).build();
  }

  /**
   * Reads {@code sightline.yaml} into dotted keys; the root may be wrapped in {@code sightline:}.
   */
  static Map<String, String> readYaml(Path file) {
    String text;
    try {
      if (Files.size(file) > MAX_YAML_BYTES) {
        throw new StartupException(
            "config file "
                + file
                + " is larger than "
                + MAX_YAML_BYTES / 1024
                + " KiB: is it the right file?");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StartupException(
          "cannot read config file "
              + file
              + ": "
              + e.getMessage()
              + " (fix the path given to --config)");
    }
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(file.toString())
            .setMaxAliasesForCollections(10)
            .setAllowRecursiveKeys(false)
            .setAllowDuplicateKeys(false)
            .setAllowNonScalarKeys(false)
            .setCodePointLimit(MAX_YAML_BYTES)
            .build();
    Object root;
    try (Reader r = new java.io.StringReader(text)) {
      root = new Load(settings).loadFromReader(r);
    } catch (YamlEngineException | IOException e) {
      String first =
          e.getMessage() == null ? "invalid YAML" : e.getMessage().lines().findFirst().orElse("");
      throw new StartupException("config file " + file + " is not valid YAML: " + first);
    }
    if (root == null) {
      return Map.of();
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new StartupException(
          "config file " + file + " must hold a mapping of settings (e.g. `port: 8480`)");
    }
    if (map.size() == 1
        && "sightline".equals(String.valueOf(map.keySet().iterator().next()))
        && map.values().iterator().next() instanceof Map<?, ?> inner) {
      map = inner;
    }
    Map<String, String> out = new LinkedHashMap<>();
    flatten("sightline", map, out, file);
    return out;
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out, Path file) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + "." + e.getKey();
      Object value = e.getValue();
      if (value instanceof Map<?, ?> nested) {
        flatten(key, nested, out, file);
        continue;
      }
      if (!DEFAULTS.containsKey(key)) {
        throw new StartupException(
            "config file "
                + file
                + ": unknown setting "
                + key.substring("sightline.".length())
                + " (known: "
                + String.join(
                    ", ",
                    DEFAULTS.keySet().stream()
                        .filter(k -> !ENV_ONLY.contains(k))
                        .map(k -> k.substring(10))
                        .toList())
                + ")");
      }
      if (ENV_ONLY.contains(key)) {
        throw new StartupException(
            "config file "
                + file
                + ": "
                + key.substring("sightline.".length())
                + " is a secret and is not read from the file: set "
                + envName(key)
                + " or use the matching -file setting");
      }
      if (value instanceof List<?> || value == null) {
        throw new StartupException(
            "config file "
                + file
                + ": "
                + key.substring("sightline.".length())
                + " needs a single value");
      }
      out.put(key, String.valueOf(value));
    }
  }

  /**
   * Parses the CLI's duration syntax ({@link io.sightline.core.Durations}: {@code 90d}, {@code
   * 12h}, {@code 15m}, {@code 30s}, {@code 1h30m}) or an ISO-8601 duration ({@code PT1H}).
   */
  public static Duration parseDuration(String text) {
    String t = text.strip();
    if (t.toLowerCase(Locale.ROOT).startsWith("p")) {
      return Duration.parse(t.toUpperCase(Locale.ROOT));
    }
    try {
      return io.sightline.core.Durations.parse(t, "duration");
    } catch (SightlineException e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  /** Turns merged strings into typed, validated values; names where a bad value came from. */
  private static final class Parser {
    private final Map<String, String> values;
    private final Map<String, String> origin;

    Parser(Map<String, String> values, Map<String, String> origin) {
      this.values = values;
      this.origin = origin;
    }

    ServerConfig build() {
      int port = integer(PORT, 0, 65535, "a port number 0-65535 (0 picks a free port)");
      String bind = str(BIND);
      try {
        InetAddress.getByName(bind);
      } catch (UnknownHostException e) {
        throw bad(BIND, "is not an address this machine can bind (e.g. 127.0.0.1 or 0.0.0.0)");
      }
      Path dataDir = path(DATA_DIR);
      String dbUrl = str(DB_URL);
      if (dbUrl != null && !dbUrl.startsWith("jdbc:postgresql://")) {
        throw bad(DB_URL, "must be a PostgreSQL JDBC URL like jdbc:postgresql://HOST:5432/DB");
      }
      SecretValue dbPassword = secretOrFile(DB_PASSWORD, DB_PASSWORD_FILE);
      URI publicUrl = url(PUBLIC_URL, "https://sightline.example.com");
      Path cert = path(TLS_CERT);
      Path key = path(TLS_KEY);
      if ((cert == null) != (key == null)) {
        String missing = cert == null ? TLS_CERT : TLS_KEY;
        throw new StartupException(
            flagName(missing)
                + " is missing: HTTPS needs both --tls-cert and --tls-key (PEM files)");
      }
      boolean allowPlaintext = bool(ALLOW_PLAINTEXT);
      LogFormat format;
      try {
        format = LogFormat.valueOf(str(LOG_FORMAT).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw bad(LOG_FORMAT, "must be text or json");
      }
      Duration ttl = duration(TOKEN_TTL);
      Duration interval = duration(AUDIT_CHECKPOINT_INTERVAL);
      if (interval.toSeconds() < 1) {
        throw bad(AUDIT_CHECKPOINT_INTERVAL, "must be at least 1s");
      }
      int pool = integer(DB_POOL_SIZE, 1, 200, "a pool size 1-200");
      SecretValue masterKey = secret(MASTER_KEY);
      Path masterKeyFile = path(MASTER_KEY_FILE);
      if (masterKey != null && masterKeyFile != null) {
        throw new StartupException(
            "both SIGHTLINE_MASTER_KEY and SIGHTLINE_MASTER_KEY_FILE are set: keep only one");
      }
      SecretValue bootstrap = secretOrFile(BOOTSTRAP_TOKEN, BOOTSTRAP_TOKEN_FILE);
      List<String> allow = cidrs(EGRESS_ALLOW);
      List<String> deny = cidrs(EGRESS_DENY);
      List<String> privateRanges = cidrs(EGRESS_PRIVATE_RANGES);
      int probeRate = integer(PROBE_RATE, 1, 100000, "a number of probes per minute per caller");
      LeaseSettings leases = leaseSettings();
      OidcSettings oidc = oidcSettings();
      return new ServerConfig(
          port,
          bind,
          dataDir,
          dbUrl,
          str(DB_USER),
          dbPassword,
          publicUrl,
          cert,
          key,
          allowPlaintext,
          format,
          ttl,
          path(AUDIT_CHECKPOINT_FILE),
          interval,
          masterKey,
          masterKeyFile,
          bootstrap,
          pool,
          allow,
          deny,
          privateRanges,
          probeRate,
          leases,
          trustCaFile(),
          oidc);
    }

    private Path trustCaFile() {
      Path p = path(TRUST_CA_FILE);
      if (p != null && !Files.isReadable(p)) {
        throw bad(TRUST_CA_FILE, "is not a readable file: give a PEM bundle of CA certificates");
      }
      return p;
    }

    private OidcSettings oidcSettings() {
      URI issuer = url(OIDC_ISSUER_URL, "https://sightline.example.com");
      if (issuer != null && (issuer.getQuery() != null || issuer.getFragment() != null)) {
        throw bad(
            OIDC_ISSUER_URL, "must have no query or fragment (an OIDC issuer is a plain URL)");
      }
      String name = str(OIDC_SERVER_NAME);
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
        throw bad(
            OIDC_SERVER_NAME,
            "must be 1-63 letters, digits, '.', '_' or '-' (it becomes sc://<server-name>/<connection>)");
      }
      Duration rotation = duration(OIDC_KEY_ROTATION);
      Duration ahead = duration(OIDC_KEY_PUBLISH_AHEAD);
      if (rotation.compareTo(Duration.ofHours(1)) < 0) {
        throw bad(OIDC_KEY_ROTATION, "must be at least 1h");
      }
      if (ahead.compareTo(rotation) >= 0) {
        throw bad(
            OIDC_KEY_PUBLISH_AHEAD,
            "must be shorter than " + OIDC_KEY_ROTATION + " (" + str(OIDC_KEY_ROTATION) + ")");
      }
      return new OidcSettings(issuer, name, rotation, ahead);
    }

    /** An absolute http(s) URL, or null when not set. */
    private URI url(String key, String example) {
      String v = str(key);
      if (v == null) {
        return null;
      }
      URI u;
      try {
        u = new URI(v);
      } catch (URISyntaxException e) {
        throw bad(key, "is not a URL (e.g. " + example + ")");
      }
      if (u.getScheme() == null
          || !(u.getScheme().equals("https") || u.getScheme().equals("http"))
          || u.getHost() == null) {
        throw bad(key, "must be an absolute http(s) URL (e.g. " + example + ")");
      }
      return u;
    }

    private LeaseSettings leaseSettings() {
      Duration maxTtl = duration(LEASE_MAX_TTL);
      if (maxTtl.compareTo(LeaseSettings.KUBERNETES_MIN_TTL) < 0) {
        throw bad(LEASE_MAX_TTL, "must be at least 10m (Kubernetes' shortest token lifetime)");
      }
      Duration maxLifetime = duration(LEASE_MAX_LIFETIME);
      if (maxLifetime.compareTo(maxTtl) < 0) {
        throw bad(LEASE_MAX_LIFETIME, "must be at least " + LEASE_MAX_TTL);
      }
      Duration reap = duration(LEASE_REAP_INTERVAL);
      if (reap.toMillis() < 1000) {
        throw bad(LEASE_REAP_INTERVAL, "must be at least 1s");
      }
      return new LeaseSettings(maxTtl, maxLifetime, bool(LEASE_ALLOW_STATIC), reap);
    }

    /** A comma list of CIDR ranges, each checked. */
    private List<String> cidrs(String key) {
      String v = str(key);
      if (v == null) {
        return List.of();
      }
      List<String> out = new java.util.ArrayList<>();
      for (String part : v.split(",")) {
        if (part.isBlank()) {
          continue;
        }
        try {
          EgressPolicy.builder().deny(part.strip()).build();
        } catch (IllegalArgumentException e) {
          throw bad(
              key,
              "has \""
                  + part.strip()
                  + "\", which is not a CIDR range: give a comma list like 10.0.0.0/8,fd00::/8");
        }
        out.add(part.strip());
      }
      return List.copyOf(out);
    }

    private String str(String key) {
      String v = values.get(key);
      return v == null || v.isBlank() ? null : v.strip();
    }

    private Path path(String key) {
      String v = str(key);
      try {
        return v == null ? null : Path.of(v);
      } catch (RuntimeException e) {
        throw bad(key, "is not a valid path");
      }
    }

    private int integer(String key, int min, int max, String what) {
      try {
        int n = Integer.parseInt(str(key));
        if (n < min || n > max) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw bad(key, "must be " + what);
      }
    }

    private boolean bool(String key) {
      String v = str(key).toLowerCase(Locale.ROOT);
      if (v.equals("true") || v.equals("false")) {
        return Boolean.parseBoolean(v);
      }
      throw bad(key, "must be true or false");
    }

    private Duration duration(String key) {
      try {
        Duration d = parseDuration(str(key));
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException();
        }
        return d;
      } catch (RuntimeException e) {
        throw bad(key, "must be a positive duration like 90d, 12h, 15m or 30s");
      }
    }

    private SecretValue secret(String key) {
      String v = values.get(key);
      return v == null || v.isBlank() ? null : SecretValue.of(v.strip());
    }

    private SecretValue secretOrFile(String key, String fileKey) {
      SecretValue direct = secret(key);
      Path file = path(fileKey);
      if (direct != null && file != null) {
        throw new StartupException(
            "both " + envName(key) + " and " + where(fileKey) + " are set: keep only one");
      }
      if (file == null) {
        return direct;
      }
      try {
        String content = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (content.isEmpty()) {
          throw new StartupException(where(fileKey) + " names " + file + ", which is empty");
        }
        return SecretValue.of(content);
      } catch (IOException e) {
        throw new StartupException(
            "cannot read "
                + file
                + " (from "
                + where(fileKey)
                + "): "
                + e.getClass().getSimpleName()
                + ": fix the path or the file's permissions");
      }
    }

    private String where(String key) {
      return origin.getOrDefault(key, key);
    }

    private StartupException bad(String key, String fix) {
      // Never echo a JDBC URL: it may carry a password parameter.
      String v = key.equals(DB_URL) ? null : values.get(key);
      return new StartupException(where(key) + " " + (v == null ? "" : "(\"" + v + "\") ") + fix);
    }
  }
}
