package io.sightline.server.routes;

import io.sightline.core.AuditEvent;
import io.sightline.core.Role;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.server.trust.IdentityPattern;
import io.sightline.server.trust.TrustPreset;
import io.sightline.store.Connections.ConnectionRecord;
import io.sightline.store.StoreTx;
import io.sightline.store.Trust.NewTrustedIssuer;
import io.sightline.store.Trust.PipelinePermissions;
import io.sightline.store.Trust.TrustedIssuer;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code /api/v1/trust} (admin): the OIDC issuers whose ID tokens may take leases; and {@code
 * /api/v1/connections/{name}/pipeline-permissions} (creator): which pipeline identities may use a
 * connection. See docs/trust.md.
 */
public final class TrustRoutes {
  private static final String TRUST = "/api/v1/trust";
  private static final String PERMISSIONS = "/api/v1/connections/{name}/pipeline-permissions";
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern CLAIM = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");
  private static final int MAX_PATTERNS = 100;

  /** The body of {@code POST /api/v1/trust}. */
  public record TrustCreate(
      @ApiField(
              "1-63 of [a-z0-9-], starting with a letter; the prefix of the identities this issuer"
                  + " vouches for (default: the preset's name)")
          String name,
      @ApiField(value = "github, gitlab, azure-devops or generic", required = true) String preset,
      @ApiField(
              "https URL, exactly the tokens' iss (default for github:"
                  + " https://token.actions.githubusercontent.com, gitlab: https://gitlab.com)")
          String issuer,
      @ApiField("accepted aud values (required, except azure-devops: api://AzureADTokenExchange)")
          List<String> audiences,
      @ApiField("a token's sub must start with this (required for azure-devops on an Entra issuer)")
          String subjectPrefix,
      @ApiField("a token's sub must match this glob (* within a path segment, ** anything)")
          String subjectPattern,
      @ApiField("more claims to record with each lease (generic: the ones that matter)")
          List<String> claims) {}

  /** A trusted issuer as shown. */
  public record TrustView(
      String name,
      String preset,
      String issuer,
      List<String> audiences,
      String subjectPrefix,
      String subjectPattern,
      List<String> claims,
      @ApiField("how identities from this issuer read, for pipelinePermissions") String identity,
      Instant createdAt,
      String createdBy) {}

  public record TrustList(List<TrustView> items) {}

  /** A connection's pipeline permissions (PUT body and answer). */
  public record PermissionsBody(
      @ApiField("true: every pipeline identity from a trusted issuer") Boolean allPipelines,
      @ApiField("identity patterns, e.g. github:org/app@refs/heads/main, github:org/*@**")
          List<String> pipelines) {}

  /** {@code PATCH}: add or remove patterns, or switch allPipelines. */
  public record PermissionsPatch(
      @ApiField("patterns to add") List<String> add,
      @ApiField("patterns to remove") List<String> remove,
      Boolean allPipelines) {}

  public record PermissionsView(String connection, boolean allPipelines, List<String> pipelines) {}

  private final Services s;

  private TrustRoutes(Services s) {
    this.s = s;
  }

  public static List<ApiRoute> routes(Services services) {
    TrustRoutes r = new TrustRoutes(services);
    return List.of(
        ApiRoute.post(TRUST, Role.ADMIN, "Trust an OIDC issuer's ID tokens (a CI provider)")
            .body(TrustCreate.class)
            .returns(201, TrustView.class)
            .handle(r::create),
        ApiRoute.get(TRUST, Role.ADMIN, "List trusted OIDC issuers")
            .returns(TrustList.class)
            .handle(r::list),
        ApiRoute.get(TRUST + "/{name}", Role.ADMIN, "Show a trusted OIDC issuer")
            .returns(TrustView.class)
            .handle(r::show),
        ApiRoute.delete(TRUST + "/{name}", Role.ADMIN, "Stop trusting an OIDC issuer")
            .handle(r::remove),
        ApiRoute.get(PERMISSIONS, Role.USER, "Which pipeline identities may use a connection")
            .returns(PermissionsView.class)
            .handle(r::showPermissions),
        ApiRoute.put(PERMISSIONS, Role.CREATOR, "Replace a connection's pipeline permissions")
            .body(PermissionsBody.class)
            .returns(PermissionsView.class)
            .handle(r::putPermissions),
        ApiRoute.patch(
                PERMISSIONS,
                Role.CREATOR,
                "Add or remove pipeline patterns of a connection, or switch allPipelines")
            .body(PermissionsPatch.class)
            .returns(PermissionsView.class)
            .handle(r::patchPermissions));
  }

  // ------------------------------------------------------------------ trust

  static TrustView view(TrustedIssuer t) {
    return new TrustView(
        t.name(),
        t.preset(),
        t.issuer(),
        t.audiences(),
        t.subjectPrefix(),
        t.subjectPattern(),
        t.claims(),
        t.name() + ":" + identityShape(t.preset()),
        t.createdAt(),
        t.createdBy());
  }

  private static String identityShape(String preset) {
    return switch (TrustPreset.fromWire(preset).orElse(TrustPreset.GENERIC)) {
      case GITHUB -> "<repository>@<ref>";
      case GITLAB -> "<project_path>@refs/heads/<ref>";
      case AZURE_DEVOPS -> "<org>/<project>/<service connection> or <org id>/<connection id>";
      case GENERIC -> "<sub>";
    };
  }

  private Object create(Call c) {
    TrustCreate body = c.body(TrustCreate.class);
    NewTrustedIssuer t = validate(body);
    c.context().status(201);
    return view(
        s.store()
            .transact(
                tx -> {
                  TrustedIssuer added = tx.trust().add(t, c.actor());
                  Map<String, Object> d = new LinkedHashMap<>();
                  d.put("preset", added.preset());
                  d.put("issuer", added.issuer());
                  d.put("audiences", added.audiences());
                  if (added.subjectPrefix() != null) {
                    d.put("subjectPrefix", added.subjectPrefix());
                  }
                  if (added.subjectPattern() != null) {
                    d.put("subjectPattern", added.subjectPattern());
                  }
                  audit(tx, c, "trust.add", "trust/" + added.name(), d);
                  return added;
                }));
  }

  /** Checks a trust request; 400 naming the field and the fix. */
  static NewTrustedIssuer validate(TrustCreate b) {
    TrustPreset preset =
        TrustPreset.fromWire(b.preset())
            .orElseThrow(
                () ->
                    bad(
                        "INVALID_PRESET",
                        "preset",
                        "preset must be github, gitlab, azure-devops or generic"));
    String name = b.name() == null || b.name().isBlank() ? preset.wireName() : b.name().strip();
    if (!NAME.matcher(name).matches()) {
      throw bad(
          "INVALID_NAME",
          "name",
          "name must be 1-63 of [a-z0-9-] starting with a letter (it prefixes pipeline"
              + " identities, e.g. github:org/app@refs/heads/main)");
    }
    String issuer =
        b.issuer() == null || b.issuer().isBlank() ? preset.defaultIssuer() : b.issuer();
    if (issuer == null) {
      throw bad(
          "ISSUER_REQUIRED",
          "issuer",
          preset == TrustPreset.AZURE_DEVOPS
              ? "issuer is required for azure-devops: https://vstoken.dev.azure.com/<organization"
                  + " id> (older service connections) or https://login.microsoftonline.com/<tenant"
                  + " id>/v2.0 (with subjectPrefix)"
              : "issuer is required: the https URL your tokens carry in iss");
    }
    issuer = issuer.strip();
    URI uri;
    try {
      uri = new URI(issuer);
    } catch (Exception e) {
      throw bad("INVALID_ISSUER", "issuer", "issuer is not a URL: give https://host[/path]");
    }
    if (!"https".equalsIgnoreCase(uri.getScheme())
        || uri.getHost() == null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null
        || issuer.length() > 2048) {
      throw bad(
          "INVALID_ISSUER",
          "issuer",
          "issuer must be an https URL without query, fragment or user info (exactly the"
              + " tokens' iss), e.g. https://token.actions.githubusercontent.com");
    }
    List<String> audiences = new ArrayList<>();
    if (b.audiences() != null) {
      for (String a : b.audiences()) {
        if (a == null || a.isBlank() || a.length() > 512) {
          throw bad("INVALID_AUDIENCE", "audiences", "each audience is 1-512 characters");
        }
        audiences.add(a.strip());
      }
    }
    if (audiences.isEmpty() && preset.defaultAudience() != null) {
      audiences.add(preset.defaultAudience());
    }
    if (audiences.isEmpty()) {
      throw bad(
          "AUDIENCE_REQUIRED",
          "audiences",
          "name the audience the pipelines request their ID token for (e.g. this server's URL;"
              + " `sightline run --audience` requests it)");
    }
    if (audiences.size() > 20) {
      throw bad("INVALID_AUDIENCE", "audiences", "at most 20 audiences");
    }
    String prefix = blankToNull(b.subjectPrefix());
    String pattern = blankToNull(b.subjectPattern());
    if (prefix != null && (prefix.length() > 1024 || prefix.chars().anyMatch(ch -> ch < ' '))) {
      throw bad("INVALID_SUBJECT_PREFIX", "subjectPrefix", "subjectPrefix is 1-1024 characters");
    }
    if (pattern != null && (pattern.length() > 1024 || pattern.chars().anyMatch(ch -> ch < ' '))) {
      throw bad("INVALID_SUBJECT_PATTERN", "subjectPattern", "subjectPattern is 1-1024 characters");
    }
    if (preset == TrustPreset.AZURE_DEVOPS) {
      boolean vstoken = TrustPreset.AzureDevOps.VSTOKEN_HOST.equalsIgnoreCase(uri.getHost());
      if (!vstoken && (prefix == null || !TrustPreset.AzureDevOps.PIN.matcher(prefix).matches())) {
        throw bad(
            "SUBJECT_PIN_REQUIRED",
            "subjectPrefix",
            "an azure-devops trust on the Entra issuer "
                + issuer
                + " must pin the subject: that issuer signs the exchange tokens of every Azure"
                + " DevOps organization and workload-identity app of the tenant, so without a pin"
                + " any of them could take leases. Set subjectPrefix to"
                + " /eid1/c/pub/t/<tenant>/a/<app>/sc/<organization id>/ (optionally followed by"
                + " a service connection id), as shown in the sub of your pipeline's ID token");
      }
    }
    List<String> claims = new ArrayList<>();
    if (b.claims() != null) {
      for (String cl : b.claims()) {
        if (cl == null || !CLAIM.matcher(cl).matches()) {
          throw bad("INVALID_CLAIM", "claims", "claim names are 1-100 of [A-Za-z0-9_.:-]");
        }
        claims.add(cl);
      }
    }
    if (claims.size() > 32) {
      throw bad("INVALID_CLAIM", "claims", "at most 32 claims");
    }
    return new NewTrustedIssuer(
        name, preset.wireName(), issuer, audiences, prefix, pattern, List.copyOf(claims));
  }

  private Object list(Call c) {
    return new TrustList(
        s.store().transact(tx -> tx.trust().list()).stream().map(TrustRoutes::view).toList());
  }

  private Object show(Call c) {
    String name = c.pathParam("name");
    return view(s.store().transact(tx -> tx.trust().find(name)).orElseThrow(() -> noTrust(name)));
  }

  private Object remove(Call c) {
    String name = c.pathParam("name");
    s.store()
        .transact(
            tx -> {
              TrustedIssuer t = tx.trust().find(name).orElseThrow(() -> noTrust(name));
              tx.trust().remove(name);
              audit(tx, c, "trust.remove", "trust/" + name, Map.of("issuer", t.issuer()));
              return null;
            });
    return null;
  }

  private static SightlineException noTrust(String name) {
    return SightlineException.notFound(
        "TRUST_NOT_FOUND",
        "no trusted issuer named " + name + ": list them with sightline trust list");
  }

  // ------------------------------------------------------------------ pipeline permissions

  /**
   * Checks a permissions body; 400 naming the field. {@code allPipelines} true with patterns is
   * refused (one or the other).
   */
  public static PipelinePermissions validate(
      Boolean allPipelines, List<String> pipelines, String field) {
    boolean all = Boolean.TRUE.equals(allPipelines);
    List<String> patterns = pipelines == null ? List.of() : pipelines;
    if (all && !patterns.isEmpty()) {
      throw bad(
          "INVALID_PIPELINE_PERMISSIONS",
          field,
          "give either allPipelines true or a list of pipelines, not both");
    }
    if (patterns.size() > MAX_PATTERNS) {
      throw bad(
          "INVALID_PIPELINE_PERMISSIONS",
          field,
          "at most " + MAX_PATTERNS + " pipeline patterns per connection: use globs");
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String p : patterns) {
      out.add(IdentityPattern.parsePermission(p == null ? null : p.strip(), field).text());
    }
    return new PipelinePermissions(all, List.copyOf(out));
  }

  private ConnectionRecord connection(StoreTx tx, String name) {
    return tx.connections()
        .find(name)
        .orElseThrow(
            () ->
                SightlineException.notFound(
                    "CONNECTION_NOT_FOUND",
                    "no connection named " + name + ": list them with sightline connection list"));
  }

  /** What a connection's JSON shows under {@code pipelinePermissions}. */
  public static Map<String, Object> wire(PipelinePermissions p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("allPipelines", p.allPipelines());
    m.put("pipelines", p.patterns());
    return m;
  }

  private Object showPermissions(Call c) {
    String name = c.pathParam("name");
    return s.store()
        .transact(
            tx -> {
              ConnectionRecord r = connection(tx, name);
              PipelinePermissions p = tx.trust().permissions(r.id());
              return new PermissionsView(r.name(), p.allPipelines(), p.patterns());
            });
  }

  private Object putPermissions(Call c) {
    PermissionsBody b = c.body(PermissionsBody.class);
    PipelinePermissions p = validate(b.allPipelines(), b.pipelines(), "pipelines");
    return set(c, p);
  }

  private Object patchPermissions(Call c) {
    PermissionsPatch b = c.body(PermissionsPatch.class);
    String name = c.pathParam("name");
    List<String> add = b.add() == null ? List.of() : b.add();
    List<String> remove = b.remove() == null ? List.of() : b.remove();
    if (add.isEmpty() && remove.isEmpty() && b.allPipelines() == null) {
      throw bad(
          "MISSING_CHANGE",
          "add",
          "say what to change: {\"add\":[pattern…]}, {\"remove\":[pattern…]} or"
              + " {\"allPipelines\":true|false}");
    }
    for (String a : add) {
      IdentityPattern.parsePermission(a, "add");
    }
    PipelinePermissions current =
        s.store().transact(tx -> tx.trust().permissions(connection(tx, name).id()));
    LinkedHashSet<String> patterns = new LinkedHashSet<>(current.patterns());
    remove.forEach(x -> patterns.remove(x == null ? null : x.strip()));
    add.forEach(x -> patterns.add(x.strip()));
    boolean all = b.allPipelines() != null ? b.allPipelines() : current.allPipelines();
    if (all && !add.isEmpty()) {
      throw bad(
          "INVALID_PIPELINE_PERMISSIONS",
          "add",
          "the connection admits all pipelines: set allPipelines false to list pipelines instead");
    }
    if (all) {
      patterns.clear();
    }
    return set(c, validate(all, List.copyOf(patterns), "add"));
  }

  private Object set(Call c, PipelinePermissions p) {
    String name = c.pathParam("name");
    return s.store()
        .transact(
            tx -> {
              ConnectionRecord r = connection(tx, name);
              store(tx, c, r, p);
              return new PermissionsView(r.name(), p.allPipelines(), p.patterns());
            });
  }

  /** Stores and audits a connection's pipeline permissions (also used on connection create). */
  public static void store(StoreTx tx, Call c, ConnectionRecord r, PipelinePermissions p) {
    PipelinePermissions before = tx.trust().permissions(r.id());
    tx.trust().setPermissions(r.id(), p, c.actor());
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("connection", r.name());
    d.put("connectionId", r.id());
    d.put("before", wire(before));
    d.put("after", wire(p));
    audit(tx, c, "connection.pipeline-permissions", "connection/" + r.name(), d);
  }

  private static void audit(
      StoreTx tx, Call c, String action, String target, Map<String, Object> d) {
    tx.audit().append(new AuditEvent(action, c.actor(), target, "success", c.requestId(), d));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static SightlineException bad(String code, String field, String detail) {
    return SightlineException.badRequest(code, field, detail);
  }
}
