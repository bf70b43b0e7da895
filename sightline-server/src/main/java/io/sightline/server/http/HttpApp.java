package io.sightline.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sightline.core.Principal;
import io.sightline.core.Role;
import io.sightline.core.SightlineException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The HTTP machinery every route shares: request ids and MDC, caller authentication and role
 * checks, problem+json for every error, one log line and one timer sample per request.
 */
public final class HttpApp {
  private static final Logger log = LoggerFactory.getLogger(HttpApp.class);
  private static final Logger access = LoggerFactory.getLogger("io.sightline.server.access");

  public static final String MDC_REQUEST_ID = "request.id";
  public static final String MDC_PRINCIPAL = "principal";
  private static final String PRINCIPAL_ATTRIBUTE = "sightline.principal";

  /** Turns a presented bearer token into a principal; empty when unknown, expired or revoked. */
  @FunctionalInterface
  public interface Authenticator {
    Optional<Principal> authenticate(String presentedToken);
  }

  /**
   * Turns a presented lease handle ({@code slh_…}) into a principal for this request only; empty
   * when the handle is unknown or the route is not one a handle may call.
   */
  @FunctionalInterface
  public interface HandleAuthenticator {
    Optional<Principal> authenticate(String presentedHandle, Context ctx);
  }

  /**
   * Turns any other bearer value (a CI's OIDC ID token) into a principal for this request only;
   * empty when it is refused (the authenticator logs why at DEBUG) or the route does not take ID
   * tokens.
   */
  @FunctionalInterface
  public interface IdTokenAuthenticator {
    Optional<Principal> authenticate(String presentedToken, Context ctx);
  }

  private final JsonBodies json = new JsonBodies();
  private final Authenticator authenticator;
  private final HandleAuthenticator handles;
  private final IdTokenAuthenticator idTokens;
  private final MeterRegistry meters;

  public HttpApp(Authenticator authenticator, MeterRegistry meters) {
    this(authenticator, (h, ctx) -> Optional.empty(), meters);
  }

  public HttpApp(Authenticator authenticator, HandleAuthenticator handles, MeterRegistry meters) {
    this(authenticator, handles, (t, ctx) -> Optional.empty(), meters);
  }

  public HttpApp(
      Authenticator authenticator,
      HandleAuthenticator handles,
      IdTokenAuthenticator idTokens,
      MeterRegistry meters) {
    this.authenticator = authenticator;
    this.handles = handles;
    this.idTokens = idTokens;
    this.meters = meters;
  }

  public JsonBodies json() {
    return json;
  }

  private java.util.function.Consumer<Context> htmlNotFound;

  /** Answers 404s under {@code /} and {@code /ui/} with the web UI's page, not problem+json. */
  public void htmlNotFound(java.util.function.Consumer<Context> handler) {
    this.htmlNotFound = handler;
  }

  /** Installs the shared machinery and {@code routes} on a Javalin config. */
  public void install(JavalinConfig config, List<ApiRoute> routes) {
    config.jsonMapper(new JavalinJackson(json.objectMapper(), false));
    config.http.maxRequestSize = JsonBodies.MAX_BODY_BYTES;
    config.http.defaultContentType = "application/json";
    config.startup.showJavalinBanner = false;
    config.startup.showOldJavalinVersionWarning = false;
    config.router.ignoreTrailingSlashes = true;
    config.http.prefer405over404 = true;

    config.routes.before(
        ctx -> {
          MDC.clear();
          ctx.attribute("sightline.startNanos", System.nanoTime());
          MDC.put(MDC_REQUEST_ID, RequestIds.assign(ctx));
        });
    for (ApiRoute r : routes) {
      config.routes.addHttpHandler(r.method(), r.path(), wrap(r));
    }
    config.routes.exception(SightlineException.class, (e, ctx) -> problem(ctx, e));
    config.routes.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          int status = e.getStatus();
          if (status == 404 && htmlNotFound != null && isUiPath(ctx)) {
            htmlNotFound.accept(ctx);
            return;
          }
          String code =
              switch (status) {
                case 404 -> "NOT_FOUND";
                case 405 -> "METHOD_NOT_ALLOWED";
                case 413 -> "BODY_TOO_LARGE";
                default -> "HTTP_" + status;
              };
          String detail =
              switch (status) {
                case 404 -> "no such route: see /openapi.json for the API";
                case 405 -> "this route does not accept " + ctx.method() + ": see /openapi.json";
                case 413 -> "the request body is larger than 1024 KiB: send less";
                default -> e.getMessage();
              };
          write(ctx, Problem.of(status, code, detail, null, null), null);
        });
    config.routes.exception(Exception.class, (e, ctx) -> internalError(ctx, e));
    config.routes.error(
        404,
        ctx -> {
          if ((ctx.result() == null || ctx.result().isEmpty())
              && htmlNotFound != null
              && isUiPath(ctx)) {
            htmlNotFound.accept(ctx);
            return;
          }
          if (ctx.result() == null || ctx.result().isEmpty()) {
            write(
                ctx,
                Problem.of(
                    404, "NOT_FOUND", "no such route: see /openapi.json for the API", null, null),
                null);
          }
        });
    config.requestLogger.http(this::logRequest);
  }

  private static boolean isUiPath(Context ctx) {
    return ctx.path().equals("/") || ctx.path().startsWith("/ui/");
  }

  private Handler wrap(ApiRoute route) {
    return ctx -> {
      Principal principal = route.role() == null ? null : authenticate(ctx, route.role());
      Object result = route.handler().handle(new Call(ctx, principal, route, json));
      if (result == null) {
        ctx.status(route.status() == 200 ? 204 : route.status());
      } else {
        ctx.status(route.status());
        ctx.json(result);
      }
    };
  }

  /** Authenticates the caller and checks it holds {@code required}; sets MDC {@code principal}. */
  public Principal authenticate(Context ctx, Role required) {
    String header = ctx.header("Authorization");
    if (header == null || header.isBlank()) {
      log.debug("authentication failed: no Authorization header");
      throw unauthorized("this route needs an API token: send Authorization: Bearer <token>");
    }
    String[] parts = header.trim().split("\\s+", 2);
    if (parts.length != 2 || !parts[0].equalsIgnoreCase("bearer") || parts[1].isBlank()) {
      log.debug("authentication failed: Authorization header is not a Bearer token");
      throw unauthorized("send the API token as Authorization: Bearer <token>");
    }
    String presented = parts[1].trim();
    Optional<Principal> principal =
        presented.startsWith("slt_")
            ? authenticator.authenticate(presented)
            : presented.startsWith("slh_")
                ? handles.authenticate(presented, ctx)
                : idTokens.authenticate(presented, ctx);
    if (principal.isEmpty()) {
      log.debug(
          "authentication failed: {}",
          presented.startsWith("slt_")
              ? "no active token matches (unknown, expired or revoked)"
              : presented.startsWith("slh_")
                  ? "a lease handle is accepted only to read, renew or revoke its own lease"
                  : "the bearer value is neither a Sightline API token nor an accepted ID token");
      throw unauthorized(
          presented.startsWith("slt_") || presented.startsWith("slh_")
              ? "the API token is not valid (unknown, expired or revoked): use another or ask an"
                  + " admin"
              : "the bearer token is not accepted here: an ID token must come from an issuer this"
                  + " server trusts, be current and carry an accepted audience (an admin sees why"
                  + " in the server's debug log)");
    }
    Principal p = principal.get();
    attach(ctx, p);
    requireRole(p, required);
    return p;
  }

  /** Records {@code p} as the caller of this request (access log, MDC {@code principal}). */
  public static void attach(Context ctx, Principal p) {
    ctx.attribute(PRINCIPAL_ATTRIBUTE, p);
    MDC.put(MDC_PRINCIPAL, p.name());
  }

  /** The one role check of every route, over HTTP and in-process ({@link ApiCalls}). */
  static void requireRole(Principal p, Role required) {
    if (!p.has(required)) {
      log.debug("{} (role {}) needs role {}", p.name(), p.role().wireName(), required.wireName());
      throw SightlineException.forbidden(
          "ROLE_REQUIRED",
          "this needs the "
              + required.wireName()
              + " role (or higher); the caller has "
              + p.role().wireName());
    }
  }

  private static SightlineException unauthorized(String detail) {
    return SightlineException.unauthorized(detail);
  }

  private void problem(Context ctx, SightlineException e) {
    JsonBodies.drainUnread(ctx);
    if (!e.isUserError() && e.status() != 503 && e.status() != 501) {
      internalError(ctx, e);
      return;
    }
    if (e.status() == 503) {
      log.warn("{} {}: {}", ctx.method(), ctx.path(), e.getMessage());
    }
    if (e.status() == 401) {
      ctx.header("WWW-Authenticate", "Bearer");
    }
    String retry = e.retryAfterSeconds() == null ? null : String.valueOf(e.retryAfterSeconds());
    Problem p = Problem.of(e.status(), e.code(), e.getMessage(), e.field(), null);
    if (e instanceof ProblemException pe) {
      var node = json.objectMapper().<com.fasterxml.jackson.databind.node.ObjectNode>valueToTree(p);
      pe.extensions().forEach((k, v) -> node.set(k, json.objectMapper().valueToTree(v)));
      if (retry != null) {
        ctx.header("Retry-After", retry);
      }
      ctx.status(p.status());
      ctx.result(node.toString());
      ctx.contentType(Problem.CONTENT_TYPE);
      return;
    }
    write(ctx, p, retry);
  }

  private void internalError(Context ctx, Exception e) {
    String errorId = RequestIds.fresh();
    log.error("unexpected error {} on {} {}", errorId, ctx.method(), ctx.path(), e);
    write(
        ctx,
        Problem.of(
            500,
            "INTERNAL_ERROR",
            "an unexpected error happened; tell an operator errorId " + errorId,
            null,
            errorId),
        null);
  }

  private void write(Context ctx, Problem p, String retryAfter) {
    if (retryAfter != null) {
      ctx.header("Retry-After", retryAfter);
    }
    ctx.status(p.status());
    try {
      ctx.result(json.objectMapper().writeValueAsBytes(p));
    } catch (Exception e) {
      ctx.result("{\"status\":" + p.status() + "}");
    }
    ctx.contentType(Problem.CONTENT_TYPE);
  }

  private void logRequest(Context ctx, Float ms) {
    try {
      String route = matchedRoute(ctx);
      int status = ctx.statusCode();
      String method = ctx.method().name();
      Principal p = ctx.attribute(PRINCIPAL_ATTRIBUTE);
      String principal = p == null ? "-" : p.name();
      String requestId = ctx.attribute(RequestIds.ATTRIBUTE);
      Timer.builder("http.server.requests")
          .description("HTTP requests by method, matched route and status")
          .tag("method", method)
          .tag("route", route)
          .tag("status", String.valueOf(status))
          .register(meters)
          .record((long) (ms * 1_000_000), TimeUnit.NANOSECONDS);
      if (!route.equals("/healthz") && !route.equals("/metrics") || status >= 400) {
        access.info(
            "{} {} {} {}ms principal={} request={}",
            method,
            route,
            status,
            String.format(Locale.ROOT, "%.1f", ms),
            principal,
            requestId);
      }
    } finally {
      MDC.clear();
    }
  }

  private static String matchedRoute(Context ctx) {
    try {
      var endpoint = ctx.endpoint();
      if (endpoint != null && endpoint.method != HandlerType.BEFORE) {
        return endpoint.path;
      }
    } catch (RuntimeException e) {
      // no endpoint matched
    }
    return "unmatched";
  }
}
