package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.core.SightlineException;
import io.sightline.testing.pki.TestCa;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties over the parsers of untrusted text (kubeconfigs, service-account token Secrets in YAML
 * and JSON): random and mutated valid inputs either parse or fail with a 4xx {@link
 * SightlineException} naming a field — never another exception (which the server would turn into a
 * 500), never a hang. Tries are bounded so the suite stays fast.
 */
class ParserFuzzTest {
  static final TestCa PKI = TestCa.create("fuzz-ca");
  static final String CA = b64(PKI.certPem());

  static final String KUBECONFIG =
      """
      apiVersion: v1
      kind: Config
      current-context: prod
      clusters:
      - name: prod-cluster
        cluster:
          server: https://prod.example:6443
          certificate-authority-data: %s
      contexts:
      - name: prod
        context:
          cluster: prod-cluster
          user: prod-user
          namespace: web
      users:
      - name: prod-user
        user:
          token: abc.def-token
      """
          .formatted(CA);

  static final String SECRET_YAML =
      """
      apiVersion: v1
      kind: Secret
      type: kubernetes.io/service-account-token
      metadata:
        name: deployer-token
        namespace: web
        annotations:
          kubernetes.io/service-account.name: deployer
      data:
        token: %s
        ca.crt: %s
        namespace: %s
      """
          .formatted(b64("abc.def-token"), CA, b64("web"));

  static final String SECRET_JSON =
      "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":\"kubernetes.io/service-account-token\","
          + "\"metadata\":{\"name\":\"deployer-token\",\"namespace\":\"web\"},"
          + "\"data\":{\"token\":\""
          + b64("abc.def-token")
          + "\",\"ca.crt\":\""
          + CA
          + "\",\"namespace\":\""
          + b64("web")
          + "\"}}";

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Parses, and fails the property on anything but success or a 4xx SightlineException. */
  static void onlySuccessOr4xx(Function<String, ?> parser, String input) {
    try {
      parser.apply(input);
    } catch (SightlineException e) {
      assertThat(e.status()).as("%s for input:\n%s", e, input).isBetween(400, 499);
      assertThat(e.getMessage()).isNotBlank();
    } catch (RuntimeException | StackOverflowError e) {
      throw new AssertionError("unexpected " + e + " for input:\n" + input, e);
    }
  }

  @Property(tries = 300)
  @Label("a mutated valid kubeconfig parses or is refused with a 4xx")
  void mutatedKubeconfigs(@ForAll("kubeconfigs") String input) {
    onlySuccessOr4xx(t -> KubeconfigParser.parse(t, null), input);
  }

  @Property(tries = 300)
  @Label("a mutated service-account Secret (YAML or JSON) parses or is refused with a 4xx")
  void mutatedSecrets(@ForAll("secrets") String input) {
    onlySuccessOr4xx(ServiceAccountSecretParser::parse, input);
  }

  @Property(tries = 200)
  @Label("random text is refused by both parsers with a 4xx")
  void randomText(@ForAll("noise") String input) {
    onlySuccessOr4xx(t -> KubeconfigParser.parse(t, null), input);
    onlySuccessOr4xx(ServiceAccountSecretParser::parse, input);
  }

  @Provide
  Arbitrary<String> kubeconfigs() {
    return mutated(Arbitraries.just(KUBECONFIG));
  }

  @Provide
  Arbitrary<String> secrets() {
    return mutated(Arbitraries.of(SECRET_YAML, SECRET_JSON));
  }

  @Provide
  Arbitrary<String> noise() {
    Arbitrary<String> chars = Arbitraries.strings().all().ofMaxLength(400);
    Arbitrary<String> yamlish =
        Arbitraries.of(
                ":",
                "- ",
                "{",
                "}",
                "[",
                "]",
                "&a ",
                "*a",
                "!!binary ",
                "!!java/object ",
                "? ",
                "|",
                ">",
                "\n",
                "  ",
                "\"",
                "'",
                "#",
                "---\n",
                "...\n",
                "%YAML 1.2\n",
                "<<: ",
                "~",
                "null",
                "0x1F",
                "1e999",
                ".inf",
                "\t",
                "\u0000",
                "\uFEFF",
                "\ud800")
            .list()
            .ofMaxSize(60)
            .map(l -> String.join("", l));
    return Arbitraries.oneOf(chars, yamlish);
  }

  /** Valid documents, then one to three edits: deletes, inserts, swaps, type changes, cuts. */
  static Arbitrary<String> mutated(Arbitrary<String> seeds) {
    Arbitrary<Function<String, String>> edit =
        Arbitraries.oneOf(
            Combinators.combine(
                    Arbitraries.integers().between(0, 2000), Arbitraries.integers().between(1, 80))
                .as(
                    (at, len) ->
                        s -> {
                          int a = Math.min(at, s.length());
                          return s.substring(0, a) + s.substring(Math.min(s.length(), a + len));
                        }),
            Combinators.combine(
                    Arbitraries.integers().between(0, 2000),
                    Arbitraries.of(
                        ": ",
                        "- ",
                        "[",
                        "{",
                        "&x ",
                        "*x",
                        "!!str ",
                        "!!binary ",
                        "null",
                        "\n  ",
                        "\t",
                        "\"",
                        "~",
                        "{}",
                        "[]",
                        "1e309",
                        "-1",
                        "\u0000",
                        "exec: {}",
                        "tokenFile: /etc/passwd",
                        "proxy-url: http://127.0.0.1"))
                .as(
                    (at, ins) ->
                        s -> {
                          int a = Math.min(at, s.length());
                          return s.substring(0, a) + ins + s.substring(a);
                        }),
            Arbitraries.integers()
                .between(0, 40)
                .map(
                    n ->
                        s -> {
                          List<String> lines = new java.util.ArrayList<>(List.of(s.split("\n")));
                          int i = n % lines.size();
                          int j = (n * 7 + 3) % lines.size();
                          String t = lines.get(i);
                          lines.set(i, lines.get(j));
                          lines.set(j, t);
                          return String.join("\n", lines);
                        }),
            Arbitraries.integers()
                .between(0, 2000)
                .map(n -> s -> s.substring(0, n % (s.length() + 1))),
            Arbitraries.of(
                (Function<String, String>) s -> s.replace("abc.def-token", "[1, 2]"),
                s -> s.replace("web", "{a: b}"),
                s -> s.replace("https://prod.example:6443", "\"\""),
                s -> s.replace(CA, "not-base64!"),
                s -> s.replace(CA, b64("not a pem")),
                s -> s.replace("kind: Config", "kind: [Config]"),
                s -> s.replace("current-context: prod", "current-context: nowhere")));
    return Combinators.combine(seeds, edit.list().ofMinSize(1).ofMaxSize(3))
        .as(
            (seed, edits) -> {
              String s = seed;
              for (Function<String, String> e : edits) {
                s = e.apply(s);
              }
              return s;
            });
  }
}
