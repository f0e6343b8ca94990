package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.canaryrelease.fleet.Fleet;

/**
 * The dashboard at {@code /ui} in a real browser (issue 16, point 4): Debian's headless {@code
 * chromium} through its {@code chromium-driver} (Selenium's driver manager never runs: the driver
 * is named, and {@code SE_OFFLINE} is set). The operator signs in with the token of {@code
 * .canary/env}, sees the pushed release go to CANARY_LIVE without a reload (the live stream),
 * clicks Promote and sees PROMOTED. A screenshot of that is kept under {@code target/}.
 */
class DashboardIT {
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Duration STEP = CanaryReleaseIT.RELEASE_STEP;

    WebDriver browser;

    @BeforeAll
    static void up() {
        CanaryReleaseIT.up();
    }

    @AfterAll
    static void down() {
        CanaryReleaseIT.down();
    }

    @BeforeEach
    void openBrowser() {
        assertTrue(
                Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
                "Debian's chromium and chromium-driver (dev/up installs them)");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        System.setProperty("SE_OFFLINE", "true");
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER.toFile())
                        .usingAnyFreePort()
                        .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // --no-sandbox: chromium refuses to start as root otherwise
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--no-first-run",
                "--window-size=1600,1000");
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) browser.quit();
    }

    WebDriverWait waiting(Duration d) {
        // the page redraws its tables on every event of the stream: an element found a moment ago
        // may be gone; look again
        WebDriverWait w = new WebDriverWait(browser, d, Duration.ofMillis(200));
        w.ignoring(StaleElementReferenceException.class);
        return w;
    }

    void signIn(String token) {
        WebElement field =
                waiting(Duration.ofSeconds(10)).until(d -> d.findElement(By.id("token")));
        field.sendKeys(token);
        browser.findElement(By.id("sign-in-button")).click();
        waiting(Duration.ofSeconds(20))
                .until(ExpectedConditions.visibilityOfElementLocated(By.id("who")));
        waiting(Duration.ofSeconds(20))
                .until(ExpectedConditions.textToBe(By.id("stream-status"), "live"));
    }

    String text(String id) {
        return waiting(Duration.ofSeconds(5)).until(d -> d.findElement(By.id(id)).getText());
    }

    Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    void screenshot(String name) {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Path to = Path.of("target", name);
        try {
            Files.createDirectories(to.getParent());
            Files.copy(shot.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("screenshot: " + to.toAbsolutePath());
    }

    @Test
    void anOperatorWatchesTheCanaryGoLiveAndPromotesItFromTheDashboard() {
        Suite suite = CanaryReleaseIT.suite;
        String gateway = suite.env("GATEWAY_URL");

        // a viewer sees the releases and no operator verbs; the token is not in the address
        browser.get(gateway + "/ui");
        assertEquals(gateway + "/ui/", browser.getCurrentUrl(), "/ui redirects to the index");
        signIn(suite.env("VIEWER_TOKEN"));
        assertTrue(text("who").endsWith("· viewer"), text("who"));
        browser.findElement(By.id("sign-out")).click();
        waiting(Duration.ofSeconds(10))
                .until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        assertEquals(null, js("return sessionStorage.getItem('canary.dashboard.token')"));

        signIn(suite.env("OPERATOR_TOKEN"));
        assertTrue(text("who").endsWith("· operator"), text("who"));
        assertFalse(browser.getCurrentUrl().contains(suite.env("OPERATOR_TOKEN")));
        // a mark on this page: a reload would lose it
        js("window.__notReloaded = 'yes'");

        String id = suite.pushChange(false);

        // the new release appears in the list from the live stream, without a reload
        By row = By.cssSelector("#release-rows tr[data-release-id='" + id + "'] a");
        waiting(Duration.ofSeconds(60)).until(ExpectedConditions.elementToBeClickable(row));
        browser.findElement(row).click();
        waiting(Duration.ofSeconds(10))
                .until(ExpectedConditions.textToBe(By.id("release-title"), id + " · " + app()));

        waiting(STEP).until(d -> release(d, id, "CANARY_LIVE"));
        String canary = CanaryReleaseIT.canary();
        By canaryRow = By.cssSelector("#hosts tr[data-host='" + canary + "']");
        waiting(Duration.ofSeconds(20))
                .until(
                        d ->
                                d.findElement(canaryRow)
                                        .findElement(By.className("health"))
                                        .getText()
                                        .endsWith(" ms"));
        // one read of the row's cells (the page's script cannot redraw in the middle of it)
        @SuppressWarnings("unchecked")
        java.util.Map<String, String> host =
                (java.util.Map<String, String>)
                        js(
                                "const r = document.querySelector(\"#hosts tr[data-host='"
                                        + canary
                                        + "']\"); const o = {};"
                                        + " for (const td of r.children) o[td.className.split(' ').pop()"
                                        + " || td.cellIndex] = td.textContent; return o;");
        assertEquals("yes", host.get("runs"), "canary runs it: " + host);
        assertTrue(host.get("drain").endsWith(" ms"), "drain time: " + host);
        String digest = CanaryReleaseIT.release(id).getString("digest");
        assertTrue(
                digest.contains(host.get("version").substring(7)),
                "the canary's version is the release's digest " + digest + ": " + host);
        for (Fleet.Host h : CanaryReleaseIT.fleet.dockerHosts()) {
            assertFalse(
                    browser.findElements(By.cssSelector("#hosts tr[data-host='" + h.name() + "']"))
                            .isEmpty(),
                    "host " + h.name() + " is listed");
        }
        assertTrue(text("timeline").contains("canary.live"), "the timeline: " + text("timeline"));
        assertTrue(
                text("timeline").contains("← caused by"),
                "the timeline says what caused what: " + text("timeline"));
        assertTrue(browser.findElement(By.id("promote")).isEnabled(), "Promote is offered");
        assertFalse(browser.findElement(By.id("rollback")).isEnabled(), "no rollback yet");
        assertFalse(
                browser.findElement(By.id("deploy")).isEnabled(),
                "no deploy of an image still on its way");
        // at 1600 px the list and the release sit side by side without overlapping
        assertEquals(
                Boolean.TRUE,
                js(
                        "const list = document.querySelector('#releases table')"
                                + ".getBoundingClientRect();"
                                + " const one = document.getElementById('release')"
                                + ".getBoundingClientRect();"
                                + " return list.right <= one.left && one.right <= window.innerWidth;"),
                "the releases table ends before the release's column begins");
        screenshot("dashboard-canary-live.png");

        browser.findElement(By.id("reason")).sendKeys("dashboard e2e");
        browser.findElement(By.id("promote")).click();
        waiting(Duration.ofSeconds(20))
                .until(
                        ExpectedConditions.textMatches(
                                By.id("action-result"),
                                java.util.regex.Pattern.compile(
                                        "promotion\\.requested published by .*: dashboard e2e")));

        waiting(STEP).until(d -> release(d, id, "PROMOTED"));
        waiting(Duration.ofSeconds(20))
                .until(
                        d ->
                                d.findElement(By.id("timeline"))
                                        .getText()
                                        .contains("release.promoted"));
        assertTrue(
                text("timeline").contains("promotion.requested"), "the audit: " + text("timeline"));
        assertTrue(text("timeline").contains(": dashboard e2e"), text("timeline"));
        assertTrue(browser.findElement(By.id("rollback")).isEnabled(), "Roll back is offered");
        assertFalse(browser.findElement(By.id("promote")).isEnabled());
        assertTrue(
                browser.findElement(By.id("deploy")).isEnabled(),
                "Deploy this version is offered for a release that is over");
        assertEquals(
                "PROMOTED",
                browser.findElement(
                                By.cssSelector(
                                        "#release-rows tr[data-release-id='" + id + "'] .state"))
                        .getText(),
                "the list shows it too");
        assertEquals("yes", js("return window.__notReloaded"), "the page was never reloaded");
        screenshot("dashboard-promoted.png");

        CanaryReleaseIT.awaitAllOn(
                CanaryReleaseIT.versions().get(canary)); // every host runs the new version
    }

    static String app() {
        return CanaryReleaseIT.fleet.apps().get(0).name();
    }

    /** The live view shows release {@code id} in {@code state}; fails at once on another end. */
    static boolean release(WebDriver d, String id, String state) {
        String shown = d.findElement(By.id("release-state")).getText();
        if (CanaryReleaseIT.isFinal(shown) && !shown.equals(state)) {
            CanaryReleaseIT.failWrong(id, shown, java.util.Set.of(state));
        }
        return shown.equals(state);
    }
}
