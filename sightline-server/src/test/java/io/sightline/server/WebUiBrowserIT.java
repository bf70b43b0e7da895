package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in Debian's headless Chromium (Selenium): sign in, create a Kubeconfig connection
 * against the Kubernetes emulator and see its namespaces, watch a probe of a stalled server answer
 * with its diagnosis inside the deadline, revoke a lease. One browser and one server for the class;
 * screenshots of every page go to {@code target/ui-screenshots/} for review. A canary secret typed
 * into the forms must never appear in any page.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiBrowserIT {
  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final String CANARY = "canary-d41d8cd98f00b204";
  private static final Path SHOTS = Path.of("target", "ui-screenshots");

  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static Harness h;
  static WebDriver driver;
  static final List<String> seen = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    assertThat(new File(CHROMIUM).canExecute())
        .as("headless Chromium is needed: apt-get install chromium chromium-driver (.ci/run does)")
        .isTrue();
    assertThat(new File(CHROMEDRIVER).canExecute())
        .as("chromedriver is needed: apt-get install chromium-driver (.ci/run does)")
        .isTrue();
    kube = FakeKubeApiServer.builder().version("1.30").start();
    for (String ns : List.of("web", "api", "payments")) {
      kube.createObject(
          "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"}}");
    }
    kube.addStaticToken(CANARY, "ui-deployer", "system:masters");
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.clock.advance(Duration.between(h.clock.instant(), java.time.Instant.now()));
    h.start();

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    Files.createDirectories(SHOTS);
  }

  @AfterAll
  static void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (h != null) {
      h.close();
    }
    if (kube != null) {
      kube.close();
    }
  }

  static void open(String path) {
    driver.get(h.server.url() + path);
    keep();
  }

  /** Remembers the page's HTML (for the canary check) . */
  static void keep() {
    seen.add(driver.getPageSource());
  }

  static void shot(String name) throws Exception {
    shot(name, null);
  }

  /** A screenshot with {@code scrollTo} (an element id) in view. */
  static void shot(String name, String scrollTo) throws Exception {
    keep();
    if (scrollTo != null) {
      ((org.openqa.selenium.JavascriptExecutor) driver)
          .executeScript(
              "document.getElementById(arguments[0]).scrollIntoView({block: 'start'});", scrollTo);
    }
    File f = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  static WebDriverWait waitUpTo(long seconds) {
    return new WebDriverWait(driver, Duration.ofSeconds(seconds));
  }

  static void fill(String id, String value) {
    WebElement e = driver.findElement(By.id(id));
    e.clear();
    e.sendKeys(value);
  }

  @Test
  @Order(1)
  void aPersonSignsInWithAnApiTokenAndSeesTheConnections() throws Exception {
    open("/");
    shot("01-sign-in");
    assertThat(driver.findElement(By.cssSelector("label[for=token]")).getText())
        .isEqualTo("API token");
    driver.findElement(By.id("token")).sendKeys(h.adminToken());
    driver.findElement(By.cssSelector("button[type=submit]")).click();
    waitUpTo(10)
        .until(
            ExpectedConditions.or(
                ExpectedConditions.presenceOfElementLocated(By.id("who")),
                ExpectedConditions.presenceOfElementLocated(By.cssSelector(".problem"))));
    assertThat(driver.findElements(By.id("who"))).as(driver.getPageSource()).isNotEmpty();
    assertThat(driver.findElement(By.id("who")).getText()).isEqualTo("admin (admin)");
    assertThat(driver.getCurrentUrl()).endsWith("/ui/connections");
    shot("02-connections-empty");
  }

  @Test
  @Order(2)
  void aKubeconfigConnectionShowsItsNamespacesLiveAndIsSavedWithItsSecretMasked() throws Exception {
    open("/ui/connections/new");
    shot("03-new-connection-kinds");
    driver.findElement(By.partialLinkText("kubernetes · Kubeconfig")).click();
    fill("f-name", "dev");
    driver.findElement(By.id("f-kubeconfig")).sendKeys(kube.kubeconfigForToken(CANARY));
    String formUrl = driver.getCurrentUrl();
    driver.findElement(By.cssSelector("button[value=probe]")).click();
    waitUpTo(15).until(ExpectedConditions.presenceOfElementLocated(By.id("namespaces")));
    assertThat(driver.findElement(By.id("probe-answer")).getText()).contains("Reached the cluster");
    assertThat(driver.findElement(By.id("namespaces")).getText())
        .contains("web")
        .contains("api")
        .contains("payments");
    assertThat(driver.findElement(By.cssSelector("li[data-step=tls] .st")).getText())
        .isEqualTo("ok");
    assertThat(driver.getCurrentUrl())
        .as("the script streamed the probe into the page: the form (and its secret) stayed")
        .isEqualTo(formUrl);
    shot("04-probe-namespaces", "probe-result");

    driver.findElement(By.cssSelector("button[value=save]")).click();
    waitUpTo(15).until(ExpectedConditions.urlContains("/ui/connections/dev"));
    assertThat(driver.findElement(By.tagName("main")).getText())
        .contains("Connection dev")
        .contains("•••••••• (set; write-only)")
        .contains("The connection is saved.");
    shot("05-connection-detail");
    String detailUrl = driver.getCurrentUrl();
    driver.findElement(By.cssSelector("#verify button[value=probe]")).click();
    waitUpTo(15).until(ExpectedConditions.presenceOfElementLocated(By.id("namespaces")));
    assertThat(driver.findElement(By.id("namespaces")).getText()).contains("payments");
    assertThat(driver.getCurrentUrl()).as("verified in place, streamed").isEqualTo(detailUrl);
    shot("05b-connection-verified", "probe-result");
    open("/ui/connections");
    assertThat(driver.findElement(By.cssSelector("tr[data-connection=dev]")).getText())
        .contains("kubernetes")
        .contains("Kubeconfig")
        .contains("verified")
        .contains("ok");
    shot("06-connections-list");
  }

  @Test
  @Order(3)
  void aStalledServerAnswersWithItsDiagnosisInsideTheDeadline() throws Exception {
    String stalled =
        kube.kubeconfigForToken(CANARY)
            .replace(kube.url().toString(), kube.faults().tlsStall().toString());
    open("/ui/connections/new?kind=kubernetes&type=Kubeconfig");
    fill("f-name", "private");
    driver.findElement(By.id("f-kubeconfig")).sendKeys(stalled);
    fill("f-timeout", "3");
    long t0 = System.nanoTime();
    driver.findElement(By.cssSelector("button[value=probe]")).click();
    waitUpTo(3)
        .until(ExpectedConditions.textToBe(By.cssSelector("li[data-step=tls] .st"), "running…"));
    assertThat(driver.findElement(By.cssSelector("li[data-step=connect] .st")).getText())
        .as("steps arrive live: connect is done while TLS still runs")
        .isEqualTo("ok");
    shot("07-probe-live-progress", "probe-result");
    waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(By.id("diagnosis")));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ms)
        .as("the diagnosis arrives within the 3 s deadline (plus page work)")
        .isLessThan(5000);
    assertThat(driver.findElement(By.id("diagnosis")).getText())
        .contains("TLS_HANDSHAKE_TIMEOUT")
        .contains("What to do");
    assertThat(driver.findElement(By.cssSelector("ul.options")).getText())
        .contains("Save without verification")
        .contains("agent pool")
        .contains("azurerm target");
    shot("08-probe-diagnosis", "probe-result");

    driver.findElement(By.cssSelector("#probe-result button[value=save-unverified]")).click();
    waitUpTo(10).until(ExpectedConditions.urlContains("/ui/connections/private"));
    assertThat(driver.findElement(By.tagName("main")).getText()).contains("not verified");
  }

  @Test
  @Order(4)
  void anActiveLeaseIsShownOnItsConnectionAndRevokedFromThere() throws Exception {
    var lease =
        h.post(
            "/api/v1/leases",
            h.adminToken(),
            "{\"target\":{\"connection\":\"dev\",\"namespace\":\"web\"},\"ttlSeconds\":900}");
    assertThat(lease.status()).as(lease.body()).isEqualTo(201);
    String id = lease.json().get("id").asText();
    open("/ui/connections/dev");
    WebElement row = driver.findElement(By.cssSelector("tr[data-lease='" + id + "']"));
    assertThat(row.getText()).contains("active").contains("dev / web");
    shot("09-connection-with-lease");
    row.findElement(By.cssSelector("button.danger")).click();
    waitUpTo(10).until(ExpectedConditions.urlContains("notice=revoked"));
    assertThat(driver.findElement(By.cssSelector(".notice")).getText()).contains("revoked");
    assertThat(driver.findElements(By.cssSelector("tr[data-lease='" + id + "']"))).isEmpty();
    open("/ui/leases?state=all");
    assertThat(driver.findElement(By.cssSelector("tr[data-lease='" + id + "']")).getText())
        .contains("revoked");
    shot("10-leases");
  }

  @Test
  @Order(5)
  void theAuditPageShowsTheChainStatusAndFilters() throws Exception {
    open("/ui/audit");
    assertThat(driver.findElement(By.id("chain-status")).getText())
        .contains("The audit chain verifies.");
    fill("f-action", "connection.create");
    driver.findElement(By.cssSelector("form[role=search] button[type=submit]")).click();
    waitUpTo(10).until(ExpectedConditions.urlContains("action=connection.create"));
    assertThat(driver.findElement(By.tagName("tbody")).getText())
        .contains("connection.create")
        .doesNotContain("ui.signin");
    shot("11-audit");
  }

  @Test
  @Order(6)
  void atPhoneWidthThePagesStillFitAndAnUnknownPageSaysSo() throws Exception {
    driver.manage().window().setSize(new Dimension(390, 844));
    try {
      open("/ui/connections/dev");
      Object overflow =
          ((org.openqa.selenium.JavascriptExecutor) driver)
              .executeScript(
                  "return document.documentElement.scrollWidth > window.innerWidth + 1;");
      assertThat(overflow).as("no horizontal scrolling of the page at 390 px").isEqualTo(false);
      shot("12-phone-connection-detail");
      open("/ui/no-such-page");
      assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo("Page not found");
      shot("13-not-found");
    } finally {
      driver.manage().window().setSize(new Dimension(1280, 900));
    }
  }

  @Test
  @Order(7)
  void anApproverApprovesAPendingDeploymentAndTheWaitingRunProceeds() throws Exception {
    String admin = h.adminToken();
    String ci = h.token("user");
    var env =
        h.post(
            "/api/v1/environments",
            admin,
            "{\"name\":\"production\",\"description\":\"the live site\",\"resources\":[{\"name\":"
                + "\"payments\",\"target\":{\"connection\":\"dev\",\"namespace\":\"payments\"}}]}");
    assertThat(env.status()).as(env.body()).isEqualTo(201);
    var check =
        h.post(
            "/api/v1/environments/production/checks",
            admin,
            "{\"type\":\"approval\",\"approvers\":[\"admin\"],\"instructions\":\"Check the"
                + " change ticket first.\"}");
    assertThat(check.status()).as(check.body()).isEqualTo(201);
    var requested =
        h.post(
            "/api/v1/environments/production/deployments",
            ci,
            "{\"resource\":\"payments\",\"task\":{\"pipeline\":\"shop\",\"run\":\"42\"}}");
    assertThat(requested.status()).as(requested.body()).isEqualTo(201);
    String id = requested.json().get("id").asText();
    String claim = requested.json().get("claimHandle").asText();
    assertThat(requested.json().get("state").asText()).isEqualTo("waiting");

    // The run: waits on its deployment with the claim handle (as `sightline run` does), then
    // claims the lease.
    java.util.concurrent.CompletableFuture<Harness.Response> run =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < until) {
                  var d = h.get("/api/v1/deployments/" + id, claim);
                  if ("ready".equals(d.json().path("state").asText())) {
                    return h.post("/api/v1/deployments/" + id + "/claim", claim, "");
                  }
                  Thread.sleep(200);
                }
                throw new AssertionError("the deployment never became ready");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });

    open("/ui/environments");
    assertThat(driver.findElement(By.cssSelector("tr[data-environment=production]")).getText())
        .contains("payments")
        .contains("approval")
        .endsWith("1");
    shot("14-environments");
    driver.findElement(By.linkText("production")).click();
    WebElement pending =
        waitUpTo(10)
            .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-approval]")));
    assertThat(pending.getText())
        .contains("payments in production")
        .contains("Check the change ticket first.")
        .contains("pipeline: shop");
    assertThat(run).as("the run waits for the approval").isNotDone();
    shot("15-environment-pending-approval");
    pending.findElement(By.name("comment")).sendKeys("ticket CHG-1 checked");
    pending.findElement(By.cssSelector("button[value=approve]")).click();
    waitUpTo(10).until(ExpectedConditions.urlContains("notice=decided"));
    assertThat(driver.findElement(By.cssSelector(".notice")).getText()).contains("decision");

    Harness.Response lease = run.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(lease.status()).as("the waiting run proceeds: " + lease.body()).isEqualTo(200);
    assertThat(lease.json().has("kubeconfig")).isTrue();
    open("/ui/environments/production");
    assertThat(driver.findElement(By.cssSelector("tr[data-deployment='" + id + "']")).getText())
        .contains("payments")
        .contains("admin");
    assertThat(driver.findElements(By.cssSelector("[data-approval]"))).isEmpty();
    shot("16-environment-history");
    assertThat(h.get("/api/v1/audit?limit=500", admin).body()).contains("ticket CHG-1 checked");
  }

  @Test
  @Order(8)
  void anAdminCreatesAnAgentRegistrationTokenShownOnce() throws Exception {
    open("/ui/agents");
    fill("f-pool", "private-eu");
    driver.findElement(By.cssSelector("#registration button[type=submit]")).click();
    WebElement token =
        waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(By.id("reg-token")));
    assertThat(token.getText()).startsWith("slr_");
    assertThat(driver.findElement(By.id("registration-token")).getText())
        .contains("sightline agent --server")
        .contains("--pool private-eu");
    shot("17-agents-registration-token");
  }

  @Test
  @Order(99)
  void theCanarySecretNeverCameBackInAnyPage() {
    assertThat(seen).isNotEmpty();
    assertThat(seen).noneMatch(p -> p.contains(CANARY));
  }
}
