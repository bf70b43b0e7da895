package io.sightline.server.environments;

import io.sightline.core.SightlineException;
import io.sightline.server.environments.EnvironmentWire.CheckBody;
import io.sightline.server.environments.EnvironmentWire.CheckView;
import io.sightline.server.trust.IdentityPattern;
import io.sightline.store.Environments.CheckRecord;
import io.sightline.store.Environments.Scope;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The check types (issue 8): {@code approval}, {@code businessHours}, {@code exclusiveLock}, {@code
 * branchControl}. Validates a {@link CheckBody} into the settings map the store keeps, shows it
 * back, and answers the time-based questions business hours ask.
 */
public final class Checks {
  public static final String APPROVAL = "approval";
  public static final String BUSINESS_HOURS = "businessHours";
  public static final String EXCLUSIVE_LOCK = "exclusiveLock";
  public static final String BRANCH_CONTROL = "branchControl";
  static final List<String> TYPES =
      List.of(APPROVAL, BUSINESS_HOURS, EXCLUSIVE_LOCK, BRANCH_CONTROL);
  static final long DEFAULT_APPROVAL_TIMEOUT = 86_400;
  static final long MAX_APPROVAL_TIMEOUT = 30L * 86_400;
  private static final Pattern MEMBER = Pattern.compile("(group:)?[^\\s:][^\\s]{0,199}");
  private static final Pattern HHMM = Pattern.compile("([01][0-9]|2[0-3]):[0-5][0-9]");
  private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

  private Checks() {}

  /** Validates {@code b} for a check on {@code scope}: the settings to store. */
  static Map<String, Object> settings(CheckBody b, Scope scope) {
    if (b == null || b.type() == null || !TYPES.contains(b.type())) {
      throw bad(
          "type",
          "type must be one of "
              + String.join(", ", TYPES)
              + (b == null || b.type() == null ? "" : " (got \"" + shorten(b.type()) + "\")"));
    }
    Map<String, Object> s = new LinkedHashMap<>();
    switch (b.type()) {
      case APPROVAL -> {
        only(b, "approvers", "minApprovers", "requesterCannotApprove", "instructions", "timeout");
        if (b.approvers() == null || b.approvers().isEmpty()) {
          throw bad(
              "approvers",
              "an approval check needs approvers: principal names or group:<name>, e.g."
                  + " [\"group:ops-leads\"]");
        }
        if (b.approvers().size() > 50) {
          throw bad("approvers", "at most 50 approvers: name a group instead");
        }
        LinkedHashSet<String> approvers = new LinkedHashSet<>();
        for (String a : b.approvers()) {
          if (a == null || !MEMBER.matcher(a.strip()).matches() || a.strip().equals("group:")) {
            throw bad(
                "approvers",
                "approver \""
                    + shorten(String.valueOf(a))
                    + "\" is not a principal name or group:<name> (no spaces)");
          }
          approvers.add(a.strip());
        }
        int min = b.minApprovers() == null ? 1 : b.minApprovers();
        if (min < 1 || min > 20) {
          throw bad("minApprovers", "minApprovers must be from 1 to 20");
        }
        boolean onlyPrincipals = approvers.stream().noneMatch(a -> a.startsWith("group:"));
        if (onlyPrincipals && min > approvers.size()) {
          throw bad(
              "minApprovers",
              "minApprovers is "
                  + min
                  + " but only "
                  + approvers.size()
                  + " approvers are named: name more, or a group");
        }
        long timeout = b.timeoutSeconds() == null ? DEFAULT_APPROVAL_TIMEOUT : b.timeoutSeconds();
        if (timeout < 60 || timeout > MAX_APPROVAL_TIMEOUT) {
          throw bad(
              "timeoutSeconds",
              "timeoutSeconds must be from 60 to " + MAX_APPROVAL_TIMEOUT + " (30 days)");
        }
        if (b.instructions() != null && b.instructions().length() > 4000) {
          throw bad("instructions", "instructions are longer than 4000 characters");
        }
        s.put("approvers", List.copyOf(approvers));
        s.put("minApprovers", min);
        s.put("requesterCannotApprove", Boolean.TRUE.equals(b.requesterCannotApprove()));
        if (b.instructions() != null && !b.instructions().isBlank()) {
          s.put("instructions", b.instructions().strip());
        }
        s.put("timeoutSeconds", timeout);
      }
      case BUSINESS_HOURS -> {
        only(b, "days", "start", "end", "timeZone");
        List<String> days = b.days() == null || b.days().isEmpty() ? DAYS.subList(0, 5) : b.days();
        LinkedHashSet<String> ds = new LinkedHashSet<>();
        for (String d : days) {
          String v = d == null ? "" : d.strip().toLowerCase(Locale.ROOT);
          if (v.length() > 3 && DAYS.contains(v.substring(0, 3))) {
            v = v.substring(0, 3);
          }
          if (!DAYS.contains(v)) {
            throw bad("days", "days are mon, tue, wed, thu, fri, sat, sun (got \"" + d + "\")");
          }
          ds.add(v);
        }
        if (b.start() == null || !HHMM.matcher(b.start()).matches()) {
          throw bad("start", "start is the opening time as HH:mm, e.g. 09:00");
        }
        if (b.end() == null || !HHMM.matcher(b.end()).matches()) {
          throw bad("end", "end is the closing time as HH:mm, e.g. 17:00");
        }
        if (!LocalTime.parse(b.end()).isAfter(LocalTime.parse(b.start()))) {
          throw bad("end", "end must be after start on the same day (e.g. 09:00 to 17:00)");
        }
        String zone = b.timeZone() == null || b.timeZone().isBlank() ? "UTC" : b.timeZone();
        try {
          ZoneId.of(zone);
        } catch (DateTimeException e) {
          throw bad("timeZone", "timeZone must be an IANA zone, e.g. Europe/Berlin or UTC");
        }
        s.put("days", DAYS.stream().filter(ds::contains).toList());
        s.put("start", b.start());
        s.put("end", b.end());
        s.put("timeZone", zone);
      }
      case EXCLUSIVE_LOCK -> {
        only(b, "failFast");
        if (scope == Scope.CONNECTION) {
          throw bad(
              "type",
              "exclusiveLock is a check of an environment (one deployment holding a lease per"
                  + " environment): add it to the environment");
        }
        s.put("failFast", Boolean.TRUE.equals(b.failFast()));
      }
      case BRANCH_CONTROL -> {
        only(b, "allowedRefs");
        if (b.allowedRefs() == null || b.allowedRefs().isEmpty()) {
          throw bad(
              "allowedRefs",
              "a branchControl check needs allowedRefs, e.g. [\"refs/heads/main\","
                  + " \"refs/heads/release/*\"]");
        }
        List<String> refs = new ArrayList<>();
        for (String r : b.allowedRefs()) {
          if (r == null || r.isBlank() || r.length() > 400 || r.chars().anyMatch(c -> c <= ' ')) {
            throw bad(
                "allowedRefs", "each allowed ref is a ref or a glob like refs/heads/release/*");
          }
          refs.add(r.strip());
        }
        s.put("allowedRefs", refs);
      }
      default -> throw new IllegalStateException(b.type());
    }
    return s;
  }

  /** Refuses fields that belong to other check types, naming the first one given. */
  private static void only(CheckBody b, String... allowed) {
    List<String> ok = List.of(allowed);
    Map<String, Object> given = new LinkedHashMap<>();
    given.put("approvers", b.approvers());
    given.put("minApprovers", b.minApprovers());
    given.put("requesterCannotApprove", b.requesterCannotApprove());
    given.put("instructions", b.instructions());
    given.put("timeout", b.timeoutSeconds());
    given.put("days", b.days());
    given.put("start", b.start());
    given.put("end", b.end());
    given.put("timeZone", b.timeZone());
    given.put("failFast", b.failFast());
    given.put("allowedRefs", b.allowedRefs());
    for (Map.Entry<String, Object> e : given.entrySet()) {
      if (e.getValue() != null && !ok.contains(e.getKey())) {
        String field = e.getKey().equals("timeout") ? "timeoutSeconds" : e.getKey();
        throw bad(field, field + " does not apply to a " + b.type() + " check");
      }
    }
  }

  @SuppressWarnings("unchecked")
  static CheckView view(CheckRecord c, String scopeName) {
    Map<String, Object> s = c.settings();
    return new CheckView(
        c.id(),
        c.type(),
        c.scope().wireName(),
        scopeName,
        (List<String>) s.get("approvers"),
        s.get("minApprovers") == null ? null : ((Number) s.get("minApprovers")).intValue(),
        (Boolean) s.get("requesterCannotApprove"),
        (String) s.get("instructions"),
        s.get("timeoutSeconds") == null ? null : ((Number) s.get("timeoutSeconds")).longValue(),
        (List<String>) s.get("days"),
        (String) s.get("start"),
        (String) s.get("end"),
        (String) s.get("timeZone"),
        (Boolean) s.get("failFast"),
        (List<String>) s.get("allowedRefs"),
        c.createdAt(),
        c.createdBy());
  }

  // ------------------------------------------------------------------ business hours

  /** True when {@code now} is within the business hours {@code s}. */
  @SuppressWarnings("unchecked")
  static boolean open(Map<String, Object> s, Instant now) {
    ZonedDateTime t = now.atZone(ZoneId.of((String) s.get("timeZone")));
    List<String> days = (List<String>) s.get("days");
    String day = DAYS.get(t.getDayOfWeek().getValue() - 1);
    LocalTime time = t.toLocalTime();
    return days.contains(day)
        && !time.isBefore(LocalTime.parse((String) s.get("start")))
        && time.isBefore(LocalTime.parse((String) s.get("end")));
  }

  /** When business hours {@code s} next open after {@code now}, if within two weeks. */
  @SuppressWarnings("unchecked")
  static Optional<ZonedDateTime> nextOpening(Map<String, Object> s, Instant now) {
    ZoneId zone = ZoneId.of((String) s.get("timeZone"));
    List<String> days = (List<String>) s.get("days");
    LocalTime start = LocalTime.parse((String) s.get("start"));
    ZonedDateTime t = now.atZone(zone);
    for (int i = 0; i < 15; i++) {
      ZonedDateTime day = t.toLocalDate().plusDays(i).atTime(start).atZone(zone);
      if (day.isAfter(t) && days.contains(DAYS.get(day.getDayOfWeek().getValue() - 1))) {
        return Optional.of(day);
      }
    }
    return Optional.empty();
  }

  @SuppressWarnings("unchecked")
  static String hoursProgress(Map<String, Object> s, Instant now) {
    List<String> days = (List<String>) s.get("days");
    String window =
        String.join(",", days)
            + " "
            + s.get("start")
            + "-"
            + s.get("end")
            + " "
            + s.get("timeZone");
    return "outside "
        + window
        + nextOpening(s, now)
            .map(
                t ->
                    "; opens "
                        + t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)
                        + " "
                        + t.format(DateTimeFormatter.ofPattern("HH:mm"))
                        + " — "
                        + minutes(Duration.between(now, t.toInstant()))
                        + " left")
            .orElse("");
  }

  static String minutes(Duration d) {
    long m = Math.max(0, (d.toSeconds() + 59) / 60);
    if (m >= 120) {
      return (m / 60) + " h " + (m % 60) + " min";
    }
    return m + " min";
  }

  static String ordinal(int n) {
    int mod100 = n % 100;
    String suffix =
        mod100 >= 11 && mod100 <= 13
            ? "th"
            : switch (n % 10) {
              case 1 -> "st";
              case 2 -> "nd";
              case 3 -> "rd";
              default -> "th";
            };
    return n + suffix;
  }

  /** Refs {@code allowed} (globs) admit {@code ref}. */
  static boolean refAllowed(List<String> allowed, String ref) {
    return ref != null && allowed.stream().anyMatch(a -> IdentityPattern.glob(a).matches(ref));
  }

  private static String shorten(String v) {
    return v.length() > 40 ? v.substring(0, 40) + "…" : v;
  }

  static SightlineException bad(String field, String detail) {
    return SightlineException.badRequest("INVALID_CHECK", field, detail);
  }
}
