package io.sightline.kubernetes;

import io.sightline.api.probe.DiagnosisCode;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.internal.Pem;
import io.sightline.kubernetes.internal.SafeYaml;
import io.sightline.kubernetes.internal.ServerUrls;
import io.sightline.kubernetes.internal.Tree;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sightline's own parser for kubeconfigs, which are untrusted input (DESIGN.md "Security rules").
 *
 * <p>It selects one context and builds a {@link ClusterAccess} from the values written inline in
 * the kubeconfig only. It refuses, without ever reading a file or running anything: {@code exec}
 * and {@code auth-provider} ({@link DiagnosisCode#EXEC_PLUGIN_NOT_ALLOWED}, or {@link
 * DiagnosisCode#INTERACTIVE_LOGIN_REQUIRED} for device-code and browser logins), every file
 * reference ({@code tokenFile}, {@code client-certificate}, {@code client-key}, {@code
 * certificate-authority}: {@link DiagnosisCode#FILE_REFERENCE_NOT_ALLOWED}) and {@code proxy-url}
 * ({@link DiagnosisCode#PROXY_NOT_ALLOWED}). Refusals are {@link SightlineException}s with status
 * 400 whose {@code code} is the diagnosis code's name and whose {@code field} names the kubeconfig
 * path at fault. Only the selected context's cluster and user are examined.
 */
public final class KubeconfigParser {
  /** The connection field the kubeconfig text comes in. */
  public static final String FIELD = "kubeconfig";

  /** The connection field naming the context. */
  public static final String CONTEXT_FIELD = "clusterContext";

  private KubeconfigParser() {}

  /** The names of the contexts in {@code kubeconfig}, in file order. */
  public static List<String> contexts(String kubeconfig) {
    Map<String, Object> root = SafeYaml.loadMapping(kubeconfig, FIELD, "a kubeconfig");
    return contextNames(root);
  }

  /**
   * Parses {@code kubeconfig} and returns the access of context {@code clusterContext} (null or
   * blank: the kubeconfig's {@code current-context}; when that is unset too, its only context).
   */
  public static ClusterAccess parse(String kubeconfig, String clusterContext) {
    Map<String, Object> root = SafeYaml.loadMapping(kubeconfig, FIELD, "a kubeconfig");
    List<String> names = contextNames(root);
    String wanted = clusterContext == null || clusterContext.isBlank() ? null : clusterContext;
    String field = CONTEXT_FIELD;
    if (wanted == null) {
      wanted = Tree.string(root, "current-context", FIELD + ".current-context");
      field = FIELD + ".current-context";
      if ((wanted == null || wanted.isBlank()) && names.size() == 1) {
        wanted = names.get(0);
      }
    }
    if (wanted == null || wanted.isBlank()) {
      throw SightlineException.badRequest(
          "UNKNOWN_CONTEXT",
          CONTEXT_FIELD,
          "the kubeconfig sets no current-context; set clusterContext to one of " + list(names));
    }
    Map<?, ?> context = named(root, "contexts", "context", wanted);
    if (context == null) {
      throw SightlineException.badRequest(
          "UNKNOWN_CONTEXT",
          field,
          "the kubeconfig has no context named '"
              + wanted
              + "'; set clusterContext to one of "
              + list(names));
    }
    String ctxField = FIELD + ".contexts[" + wanted + "].context";
    String clusterName = Tree.string(context, "cluster", ctxField + ".cluster");
    String userName = Tree.string(context, "user", ctxField + ".user");
    String namespace = Tree.string(context, "namespace", ctxField + ".namespace");
    if (clusterName == null) {
      throw SightlineException.badRequest(
          "INVALID_KUBECONFIG", ctxField + ".cluster", "context '" + wanted + "' names no cluster");
    }
    Map<?, ?> cluster = named(root, "clusters", "cluster", clusterName);
    if (cluster == null) {
      throw SightlineException.badRequest(
          "INVALID_KUBECONFIG",
          ctxField + ".cluster",
          "context '"
              + wanted
              + "' names cluster '"
              + clusterName
              + "', which the kubeconfig does not define");
    }
    Map<?, ?> user = Map.of();
    if (userName != null && !userName.isBlank()) {
      user = named(root, "users", "user", userName);
      if (user == null) {
        throw SightlineException.badRequest(
            "INVALID_KUBECONFIG",
            ctxField + ".user",
            "context '"
                + wanted
                + "' names user '"
                + userName
                + "', which the kubeconfig does not define");
      }
    }
    String userField = FIELD + ".users[" + userName + "].user";
    refuseUnsafeUser(user, userField);
    String clusterField = FIELD + ".clusters[" + clusterName + "].cluster";
    refuseUnsafeCluster(cluster, clusterField);

    String server =
        ServerUrls.validate(
            Tree.string(cluster, "server", clusterField + ".server"), clusterField + ".server");
    boolean insecure =
        Tree.bool(cluster, "insecure-skip-tls-verify", clusterField + ".insecure-skip-tls-verify");
    String caPem = null;
    String caData =
        Tree.string(
            cluster, "certificate-authority-data", clusterField + ".certificate-authority-data");
    if (caData != null && !caData.isBlank()) {
      caPem = pemFromBase64(caData, clusterField + ".certificate-authority-data", false);
    }
    if (insecure && caPem != null) {
      throw SightlineException.badRequest(
          "INVALID_KUBECONFIG",
          clusterField + ".insecure-skip-tls-verify",
          "the cluster sets both certificate-authority-data and insecure-skip-tls-verify (kubectl"
              + " refuses this too); remove one of them");
    }
    String tlsServerName =
        Tree.string(cluster, "tls-server-name", clusterField + ".tls-server-name");

    SecretValue token = null;
    String tokenText = Tree.string(user, "token", userField + ".token");
    if (tokenText != null && !tokenText.isBlank()) {
      token = token(tokenText, userField + ".token");
    }
    String certPem = null;
    SecretValue keyPem = null;
    String certData =
        Tree.string(user, "client-certificate-data", userField + ".client-certificate-data");
    String keyData = Tree.string(user, "client-key-data", userField + ".client-key-data");
    if ((certData == null) != (keyData == null)) {
      String missing = certData == null ? "client-certificate-data" : "client-key-data";
      throw SightlineException.badRequest(
          "INVALID_KUBECONFIG",
          userField + "." + missing,
          "the user has a client certificate or key without the other; add " + missing);
    }
    if (certData != null) {
      certPem = pemFromBase64(certData, userField + ".client-certificate-data", false);
      keyPem = SecretValue.of(pemFromBase64(keyData, userField + ".client-key-data", true));
    }
    String username = Tree.string(user, "username", userField + ".username");
    String passwordText = Tree.string(user, "password", userField + ".password");
    SecretValue password = null;
    if (username != null || passwordText != null) {
      if (username == null || passwordText == null) {
        throw SightlineException.badRequest(
            "INVALID_KUBECONFIG",
            userField + (username == null ? ".username" : ".password"),
            "basic authentication needs both username and password");
      }
      if (token != null) {
        throw SightlineException.badRequest(
            "INVALID_KUBECONFIG",
            userField + ".password",
            "the user has both a token and username/password (kubectl refuses this too); keep one");
      }
      password = SecretValue.of(passwordText);
    }
    return new ClusterAccess(
        server,
        caPem,
        insecure,
        tlsServerName,
        token,
        certPem,
        keyPem,
        username,
        password,
        namespace);
  }

  private static void refuseUnsafeUser(Map<?, ?> user, String userField) {
    if (user.containsKey("exec")) {
      Map<?, ?> exec = Tree.map(user, "exec", userField + ".exec");
      boolean interactive = exec != null && isInteractiveExec(exec);
      String command =
          exec == null ? null : Tree.string(exec, "command", userField + ".exec.command");
      String shown = command == null ? "a command" : "'" + baseName(command) + "'";
      if (interactive) {
        throw refusal(
            DiagnosisCode.INTERACTIVE_LOGIN_REQUIRED,
            userField + ".exec",
            "the kubeconfig's user runs "
                + shown
                + " for a device-code or browser login, which neither a server nor a pipeline can"
                + " complete. Use an azurerm connection (ServicePrincipal, WorkloadIdentityFederation"
                + " or ManagedServiceIdentity) as the cluster target, deferred to run time, or give a"
                + " kubeconfig whose user has a token or client-certificate-data");
      }
      throw refusal(
          DiagnosisCode.EXEC_PLUGIN_NOT_ALLOWED,
          userField + ".exec",
          "the kubeconfig's user runs "
              + shown
              + " to get its credential, and Sightline never runs commands from a kubeconfig. For"
              + " AKS use an azurerm connection (the credential is fetched at run time); otherwise"
              + " replace exec with a token or client-certificate-data/client-key-data");
    }
    if (user.containsKey("auth-provider")) {
      Map<?, ?> provider = Tree.map(user, "auth-provider", userField + ".auth-provider");
      String name =
          provider == null
              ? ""
              : String.valueOf(Tree.string(provider, "name", userField + ".auth-provider.name"));
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("azure")) {
        throw refusal(
            DiagnosisCode.INTERACTIVE_LOGIN_REQUIRED,
            userField + ".auth-provider",
            "the kubeconfig's user uses the 'azure' auth-provider, which needs a device-code login."
                + " Use an azurerm connection as the cluster target, deferred to run time");
      }
      throw refusal(
          DiagnosisCode.EXEC_PLUGIN_NOT_ALLOWED,
          userField + ".auth-provider",
          "the kubeconfig's user uses the '"
              + name
              + "' auth-provider, which Sightline does not run; give a token or"
              + " client-certificate-data/client-key-data instead");
    }
    refuseFile(user, "tokenFile", userField, "token");
    refuseFile(user, "client-certificate", userField, "client-certificate-data");
    refuseFile(user, "client-key", userField, "client-key-data");
    for (String key : List.of("as", "as-uid", "as-groups", "as-user-extra")) {
      if (user.containsKey(key)) {
        throw SightlineException.badRequest(
            "IMPERSONATION_NOT_SUPPORTED",
            userField + "." + key,
            "the kubeconfig's user impersonates another identity ("
                + key
                + "), which Sightline"
                + " does not support; remove "
                + key);
      }
    }
  }

  private static void refuseUnsafeCluster(Map<?, ?> cluster, String clusterField) {
    refuseFile(cluster, "certificate-authority", clusterField, "certificate-authority-data");
    if (cluster.containsKey("proxy-url")) {
      throw refusal(
          DiagnosisCode.PROXY_NOT_ALLOWED,
          clusterField + ".proxy-url",
          "the cluster names a proxy-url, and Sightline connects to clusters directly. Remove"
              + " proxy-url; for a cluster reachable only from another network, run an agent pool"
              + " there");
    }
  }

  private static void refuseFile(Map<?, ?> parent, String key, String parentField, String inline) {
    if (parent.containsKey(key)) {
      throw refusal(
          DiagnosisCode.FILE_REFERENCE_NOT_ALLOWED,
          parentField + "." + key,
          "the kubeconfig refers to a file ("
              + key
              + "); Sightline reads no files named by a kubeconfig. Give the value inline as "
              + inline
              + " (kubectl config view --raw --flatten --minify writes such a kubeconfig)");
    }
  }

  /** Device-code and browser logins: kubelogin's devicecode/interactive modes, oidc-login. */
  private static boolean isInteractiveExec(Map<?, ?> exec) {
    String command = String.valueOf(exec.get("command"));
    List<String> args = new ArrayList<>();
    Object rawArgs = exec.get("args");
    if (rawArgs instanceof List<?> l) {
      l.forEach(a -> args.add(String.valueOf(a)));
    }
    Object mode = exec.get("interactiveMode");
    if (mode != null && mode.toString().equalsIgnoreCase("Always")) {
      return true;
    }
    if (args.stream().anyMatch(a -> a.contains("oidc-login"))) {
      return true; // int128/kubelogin: a browser login
    }
    if (baseName(command).toLowerCase(Locale.ROOT).startsWith("kubelogin")) {
      String login = "devicecode"; // kubelogin's default mode
      for (int i = 0; i < args.size(); i++) {
        String a = args.get(i);
        if ((a.equals("--login") || a.equals("-l")) && i + 1 < args.size()) {
          login = args.get(i + 1);
        } else if (a.startsWith("--login=")) {
          login = a.substring("--login=".length());
        }
      }
      return login.equalsIgnoreCase("devicecode") || login.equalsIgnoreCase("interactive");
    }
    return false;
  }

  private static String baseName(String command) {
    String c = command.strip();
    int slash = Math.max(c.lastIndexOf('/'), c.lastIndexOf('\\'));
    String base = slash >= 0 ? c.substring(slash + 1) : c;
    return base.length() > 64 ? base.substring(0, 64) : base;
  }

  private static SecretValue token(String text, String field) {
    String t = text.strip();
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw SightlineException.badRequest(
            "INVALID_TOKEN",
            field,
            field + " contains whitespace or control characters; give the token on one line");
      }
    }
    return SecretValue.of(t);
  }

  private static String pemFromBase64(String base64, String field, boolean privateKey) {
    byte[] decoded = Pem.decodeBase64(base64, field);
    String pem = new String(decoded, StandardCharsets.UTF_8);
    if (!Pem.looksLikePem(pem)) {
      throw SightlineException.badRequest(
          "INVALID_PEM",
          field,
          field
              + " decodes to something that is not PEM: expected the base64 of a '-----BEGIN "
              + (privateKey ? "PRIVATE KEY" : "CERTIFICATE")
              + "-----' block");
    }
    return privateKey ? Pem.privateKey(pem, field) : Pem.certificates(pem, field);
  }

  private static SightlineException refusal(DiagnosisCode code, String field, String detail) {
    return SightlineException.badRequest(code.name(), field, detail);
  }

  private static List<String> contextNames(Map<String, Object> root) {
    List<String> names = new ArrayList<>();
    for (Object o : Tree.list(root, "contexts", FIELD + ".contexts")) {
      if (o instanceof Map<?, ?> m && m.get("name") != null) {
        names.add(String.valueOf(m.get("name")));
      }
    }
    return names;
  }

  /** The inner mapping ({@code inner}) of the entry named {@code name} in list {@code listKey}. */
  private static Map<?, ?> named(
      Map<String, Object> root, String listKey, String inner, String name) {
    List<?> entries = Tree.list(root, listKey, FIELD + "." + listKey);
    for (Object o : entries) {
      if (o instanceof Map<?, ?> m && name.equals(String.valueOf(m.get("name")))) {
        Map<?, ?> value = Tree.map(m, inner, FIELD + "." + listKey + "[" + name + "]." + inner);
        return value == null ? Map.of() : value;
      }
    }
    return null;
  }

  private static String list(List<String> names) {
    return names.isEmpty() ? "(the kubeconfig defines no contexts)" : String.join(", ", names);
  }
}
