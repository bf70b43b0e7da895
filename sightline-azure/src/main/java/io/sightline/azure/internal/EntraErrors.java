package io.sightline.azure.internal;

import io.sightline.api.probe.DiagnosisCode;
import io.sightline.core.SightlineException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns azure-identity / MSAL failures into one line with the AADSTS code and what to do. */
public final class EntraErrors {
  private EntraErrors() {}

  private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d+):?\\s*([^\\r\\n]*)");

  private static final Map<String, String> HINTS =
      Map.ofEntries(
          Map.entry("7000215", "the client secret is wrong: copy the secret's value (not its id)"),
          Map.entry("7000222", "the client secret has expired: create a new one on the app"),
          Map.entry(
              "700016",
              "no application with this client id in the tenant: check serviceprincipalid and"
                  + " tenantid"),
          Map.entry("90002", "the tenant does not exist: check tenantid"),
          Map.entry("900023", "the tenant id is not valid: check tenantid"),
          Map.entry(
              "700024",
              "the client assertion has expired: check the clocks and the assertion's lifetime"),
          Map.entry(
              "70021",
              "no federated credential on the app matches the assertion: its issuer, subject and"
                  + " audience must equal the assertion's iss, sub and aud"),
          Map.entry(
              "700027",
              "Entra could not verify the certificate or assertion signature: upload the"
                  + " certificate to the app (and renew it if it expired) or check the issuer's"
                  + " JWKS"),
          Map.entry("50126", "the user name or password is wrong"),
          Map.entry("50034", "the user does not exist in the tenant"),
          Map.entry("50076", "the user needs MFA: use a device-code login or a service principal"),
          Map.entry("70000", "the user declined the sign-in"),
          Map.entry("70020", "the device code expired before the user signed in: sign in again"),
          Map.entry("7000218", "the app is a public client: add a secret or certificate"),
          Map.entry("500011", "the resource (scope) is not known in the tenant"));

  /** The first AADSTS code in a failure's chain, or null. */
  public static String aadstsCode(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        Matcher m = AADSTS.matcher(c.getMessage());
        if (m.find()) {
          return m.group(1);
        }
      }
    }
    return null;
  }

  /** ENTRA_AUTH_FAILED for a failed sign-in, in one line. */
  public static SightlineException map(Throwable t, String scheme, String who) {
    String prefix = "Entra ID sign-in (" + scheme + (who == null ? "" : ", " + who) + ") failed: ";
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() == null) {
        continue;
      }
      Matcher m = AADSTS.matcher(c.getMessage());
      if (m.find()) {
        String code = m.group(1);
        String first = firstSentence(m.group(2));
        String hint = HINTS.get(code);
        return failed(
            prefix + "AADSTS" + code + " " + first + (hint == null ? "" : " — " + hint), t);
      }
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof AzureHttp.EgressDeniedException
          || c instanceof io.sightline.kubernetes.EgressDeniedException) {
        return new SightlineException(
            DiagnosisCode.EGRESS_DENIED.name(),
            502,
            "environment",
            prefix
                + c.getMessage()
                + " — the server's egress rules (sightline.egress.allow / deny) do not allow the"
                + " authority host",
            null,
            t);
      }
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof javax.net.ssl.SSLException
          || (c.getMessage() != null && c.getMessage().contains("PKIX path"))) {
        return failed(
            prefix
                + "the authority host's TLS certificate is not trusted — give the CA bundle that"
                + " signed it",
            t);
      }
    }
    String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return failed(prefix + firstLine(msg), t);
  }

  public static SightlineException failed(String detail, Throwable cause) {
    return new SightlineException(
        DiagnosisCode.ENTRA_AUTH_FAILED.name(), 502, null, detail, null, cause);
  }

  private static String firstSentence(String s) {
    String line = firstLine(s);
    int trace = line.indexOf(" Trace ID");
    if (trace > 0) {
      line = line.substring(0, trace);
    }
    int dot = line.indexOf(". ");
    return dot > 0 ? line.substring(0, dot + 1) : line;
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return (nl >= 0 ? s.substring(0, nl) : s).trim();
  }
}
