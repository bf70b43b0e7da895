package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** TokenRequest and the review resources: computed per request, never stored. */
final class Reviews {

  private static final String AUTHN = "authentication.k8s.io";

  private Reviews() {}

  static ObjectNode tokenRequest(Cluster c, Attributes a, ObjectNode body) {
    String ns = a.namespace();
    String saName = a.name();
    ObjectNode sa = c.store.get(c.type("", "ServiceAccount"), ns, saName);
    if (sa == null) {
      throw ApiException.notFound("", "serviceaccounts", saName);
    }
    JsonNode spec = body.path("spec");
    long exp = spec.path("expirationSeconds").asLong(3600);
    if (exp < 600) {
      throw ApiException.invalid(
          AUTHN,
          "TokenRequest",
          saName,
          "spec.expirationSeconds",
          "Invalid value: " + exp + ": may not specify a duration less than 10 minutes");
    }
    if (exp > (1L << 32)) {
      throw ApiException.invalid(
          AUTHN,
          "TokenRequest",
          saName,
          "spec.expirationSeconds",
          "Invalid value: " + exp + ": may not specify a duration larger than 2^32 seconds");
    }
    List<String> audiences = new ArrayList<>();
    spec.path("audiences").forEach(x -> audiences.add(x.asText()));
    if (audiences.isEmpty()) {
      audiences.addAll(c.tokens.apiAudiences());
    }
    String boundKind = null;
    String boundName = null;
    String boundUid = null;
    JsonNode ref = spec.path("boundObjectRef");
    if (ref.isObject() && !ref.isEmpty()) {
      String kind = ref.path("kind").asText();
      String apiVersion = ref.path("apiVersion").asText("v1");
      if (!(kind.equals("Secret") || kind.equals("Pod")) || !apiVersion.equals("v1")) {
        throw ApiException.badRequest(
            "cannot bind token to object of type " + apiVersion + ", Kind=" + kind);
      }
      boundName = ref.path("name").asText();
      ObjectNode bound = c.store.get(c.type("", kind), ns, boundName);
      if (bound == null) {
        throw ApiException.badRequest(
            (kind.equals("Secret") ? "secrets" : "pods") + " \"" + boundName + "\" not found");
      }
      String actualUid = bound.path("metadata").path("uid").asText();
      String wantedUid = ref.path("uid").asText("");
      if (!wantedUid.isEmpty() && !wantedUid.equals(actualUid)) {
        throw ApiException.conflict(
            "",
            kind,
            boundName,
            "the UID in the bound object reference ("
                + wantedUid
                + ") does not match the UID in record. The object might have been deleted and"
                + " then recreated");
      }
      boundKind = kind.equals("Secret") ? "secret" : "pod";
      boundUid = actualUid;
    }
    Tokens.Minted minted =
        c.tokens.mintBound(
            ns,
            saName,
            sa.path("metadata").path("uid").asText(),
            audiences,
            exp,
            boundKind,
            boundName,
            boundUid);
    ObjectNode out = Json.object();
    out.put("kind", "TokenRequest");
    out.put("apiVersion", AUTHN + "/v1");
    ObjectNode meta = out.putObject("metadata");
    meta.put("name", saName);
    meta.put("namespace", ns);
    meta.put("creationTimestamp", Json.now());
    ObjectNode outSpec = out.putObject("spec");
    ArrayNode aud = outSpec.putArray("audiences");
    audiences.forEach(aud::add);
    outSpec.put("expirationSeconds", exp);
    if (boundKind != null) {
      ObjectNode r = outSpec.putObject("boundObjectRef");
      r.put("kind", ref.path("kind").asText());
      r.put("apiVersion", "v1");
      r.put("name", boundName);
      r.put("uid", boundUid);
    } else {
      outSpec.putNull("boundObjectRef");
    }
    ObjectNode status = out.putObject("status");
    status.put("token", minted.token());
    status.put(
        "expirationTimestamp", minted.expiresAt().truncatedTo(ChronoUnit.SECONDS).toString());
    return out;
  }

  static ObjectNode review(
      Cluster c, ResourceType t, Attributes a, ObjectNode body, UserInfo caller) {
    ObjectNode out = body.deepCopy();
    out.put("kind", t.kind());
    out.put("apiVersion", t.apiVersion());
    ObjectNode meta = Json.with(out, "metadata");
    meta.putNull("creationTimestamp");
    ObjectNode status = out.putObject("status");
    JsonNode spec = body.path("spec");
    switch (t.kind()) {
      case "TokenReview" -> {
        List<String> wanted = new ArrayList<>();
        spec.path("audiences").forEach(x -> wanted.add(x.asText()));
        List<String> audiences = wanted.isEmpty() ? c.tokens.apiAudiences() : wanted;
        Authenticator.Authn authn =
            c.authenticator.authenticateToken(spec.path("token").asText(""), audiences);
        if (authn == null) {
          status.putObject("user");
          status.put("error", "[invalid bearer token, token lookup failed]");
        } else {
          status.put("authenticated", true);
          status.set("user", authn.user().toJson());
          ArrayNode aud = status.putArray("audiences");
          authn.audiences().forEach(aud::add);
        }
      }
      case "SelfSubjectReview" -> status.set("userInfo", caller.toJson());
      case "SelfSubjectRulesReview" -> {
        ArrayNode resourceRules = status.putArray("resourceRules");
        ArrayNode nonResourceRules = status.putArray("nonResourceRules");
        for (JsonNode rule : c.rbac.rulesFor(caller, spec.path("namespace").asText(""))) {
          if (rule.has("nonResourceURLs")) {
            ObjectNode r = nonResourceRules.addObject();
            r.set("verbs", rule.path("verbs"));
            r.set("nonResourceURLs", rule.path("nonResourceURLs"));
          } else {
            ObjectNode r = resourceRules.addObject();
            r.set("verbs", rule.path("verbs"));
            r.set("apiGroups", rule.path("apiGroups"));
            r.set("resources", rule.path("resources"));
            if (rule.has("resourceNames")) {
              r.set("resourceNames", rule.path("resourceNames"));
            }
          }
        }
        status.put("incomplete", false);
      }
      case "SelfSubjectAccessReview" -> decide(c, caller, spec, "", status);
      case "SubjectAccessReview", "LocalSubjectAccessReview" -> {
        List<String> groups = new ArrayList<>();
        spec.path("groups").forEach(g -> groups.add(g.asText()));
        Map<String, List<String>> extra = new HashMap<>();
        UserInfo subject =
            new UserInfo(
                spec.path("user").asText(""), spec.path("uid").asText(null), groups, extra);
        if (t.kind().equals("LocalSubjectAccessReview")) {
          String specNs = spec.path("resourceAttributes").path("namespace").asText("");
          if (!specNs.isEmpty() && !specNs.equals(a.namespace())) {
            throw ApiException.badRequest(
                "spec.resourceAttributes.namespace must match namespace: " + a.namespace());
          }
        }
        decide(
            c,
            subject,
            spec,
            t.kind().equals("LocalSubjectAccessReview") ? a.namespace() : "",
            status);
      }
      default -> throw ApiException.methodNotAllowed();
    }
    return out;
  }

  private static void decide(
      Cluster c, UserInfo subject, JsonNode spec, String forcedNs, ObjectNode status) {
    Attributes attrs;
    JsonNode ra = spec.path("resourceAttributes");
    if (ra.isObject()) {
      String ns = forcedNs.isEmpty() ? ra.path("namespace").asText("") : forcedNs;
      attrs =
          new Attributes(
              true,
              ra.path("verb").asText(""),
              ra.path("group").asText(""),
              ra.path("version").asText(""),
              ra.path("resource").asText(""),
              ra.path("subresource").asText(""),
              ns,
              ra.path("name").asText(""),
              "");
    } else {
      JsonNode nra = spec.path("nonResourceAttributes");
      attrs = Attributes.nonResource(nra.path("verb").asText(""), nra.path("path").asText(""));
    }
    boolean allowed = c.rbac.allowed(subject, attrs);
    status.put("allowed", allowed);
    if (!allowed) {
      status.put("reason", "");
    }
  }
}
