package io.sightline.server.routes;

import io.sightline.core.Role;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.store.AuditLog;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code /api/v1/audit}: list the audit log with filters and paging, and verify its chain. */
public final class AuditRoutes {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;

  public record AuditRecordView(
      long seq,
      Instant at,
      String action,
      String actor,
      String target,
      @ApiField("success, failure or denied") String outcome,
      String requestId,
      Map<String, Object> details,
      String keyId) {}

  public record AuditPage(
      List<AuditRecordView> items,
      @ApiField("pass as cursor= for the next (older) page; absent on the last page")
          String nextCursor) {}

  public record Verification(
      boolean ok,
      long checked,
      @ApiField("the first record whose link does not verify, or that is missing")
          Long firstBrokenSeq,
      @ApiField("records up to a signed checkpoint are gone") boolean missingTail,
      String message) {}

  private AuditRoutes() {}

  public static List<ApiRoute> routes(Services s) {
    return List.of(
        ApiRoute.get("/api/v1/audit", Role.READER, "List audit records, newest first")
            .query("action", "string", "only this action, e.g. token.create")
            .query("actor", "string", "only records caused by this principal")
            .query("target", "string", "only records about this target, e.g. token/3f2a")
            .query("outcome", "string", "success, failure or denied")
            .query("since", "string", "ISO-8601 instant, inclusive")
            .query("until", "string", "ISO-8601 instant, exclusive")
            .query(
                "limit",
                "integer",
                "page size, 1-" + MAX_LIMIT + " (default " + DEFAULT_LIMIT + ")")
            .query("cursor", "string", "nextCursor of the previous page")
            .returns(AuditPage.class)
            .handle(c -> list(s, c)),
        ApiRoute.get(
                "/api/v1/audit/verify",
                Role.READER,
                "Verify the audit chain (200 either way; ok is false when it is broken)")
            .returns(Verification.class)
            .handle(c -> verify(s)));
  }

  private static AuditPage list(Services s, Call c) {
    Integer limit = c.queryInt("limit", 1, MAX_LIMIT);
    Long before = null;
    String cursor = c.query("cursor");
    if (cursor != null) {
      try {
        before = Long.parseLong(cursor);
        if (before < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw SightlineException.badRequest(
            "INVALID_CURSOR", "cursor", "cursor must be the nextCursor of a previous page");
      }
    }
    String outcome = c.query("outcome");
    if (outcome != null && !List.of("success", "failure", "denied").contains(outcome)) {
      throw SightlineException.badRequest(
          "INVALID_PARAMETER", "outcome", "outcome must be success, failure or denied");
    }
    AuditLog.Query q =
        new AuditLog.Query(
            c.query("action"),
            c.query("actor"),
            c.query("target"),
            outcome,
            instant(c, "since"),
            instant(c, "until"),
            before,
            limit == null ? DEFAULT_LIMIT : limit);
    AuditLog.Page page = s.store().transact(tx -> tx.audit().list(q));
    return new AuditPage(
        page.records().stream()
            .map(
                r ->
                    new AuditRecordView(
                        r.seq(),
                        r.at(),
                        r.action(),
                        r.actor(),
                        r.target(),
                        r.outcome(),
                        r.requestId(),
                        r.details(),
                        r.keyId()))
            .toList(),
        page.nextBeforeSeq() == null ? null : String.valueOf(page.nextBeforeSeq()));
  }

  private static Instant instant(Call c, String name) {
    String v = c.query(name);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw SightlineException.badRequest(
          "INVALID_PARAMETER",
          name,
          name + " must be an ISO-8601 instant like 2026-11-29T12:00:00Z");
    }
  }

  private static Verification verify(Services s) {
    Optional<AuditLog.Checkpoint> external =
        s.checkpoints() == null ? Optional.empty() : s.checkpoints().latestExternal();
    AuditLog.Verification v = s.store().transact(tx -> tx.audit().verify(external));
    return new Verification(v.ok(), v.checked(), v.firstBrokenSeq(), v.missingTail(), v.message());
  }
}
