package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.GatewayTestFiles.OPERATOR;
import static dev.canaryrelease.gateway.GatewayTestFiles.OPERATOR_TOKEN;
import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER;
import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER_TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * The dashboard's files at {@code /ui} (issue 16, point 3): public, each with its content type and
 * the Content-Security-Policy that forbids inline script and anything from another origin; every
 * data call the page makes needs a token, and without one an attacker gets a 401 and no data.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class DashboardTest {
    static final String CSP =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                    + " connect-src 'self'; base-uri 'none'; form-action 'none';"
                    + " frame-ancestors 'none'";

    @BeforeEach
    void ready() {
        Ready.await();
    }

    static Response asset(String path, String contentType) {
        return given().get(path)
                .then()
                .statusCode(200)
                .contentType(startsWith(contentType))
                .header("Content-Security-Policy", equalTo(CSP))
                .header("X-Content-Type-Options", equalTo("nosniff"))
                .header("Referrer-Policy", equalTo("no-referrer"))
                .extract()
                .response();
    }

    @Test
    void theFilesAreServedWithTheirTypesAndThePolicyWithoutAToken() {
        String html = asset("/ui/", "text/html").asString();
        String js = asset("/ui/app.js", "text/javascript").asString();
        String css = asset("/ui/app.css", "text/css").asString();

        assertTrue(html.contains("<script src=\"app.js\" defer></script>"), html);
        Matcher script = Pattern.compile("<script\\b([^>]*)>").matcher(html);
        while (script.find()) {
            assertTrue(script.group(1).contains("src="), "no inline script: " + script.group());
        }
        assertFalse(html.contains(" style="), "no inline style (the policy would block it)");
        assertFalse(html.matches("(?s).*\\son[a-z]+=.*"), "no inline event handler");
        for (String file : new String[] {html, js, css}) {
            assertFalse(file.contains("http://") || file.contains("https://"), "no CDN, no URL");
        }
        // the token is read from sessionStorage, sent as a header, never as a query parameter
        assertTrue(js.contains("sessionStorage"), "the token lives in sessionStorage");
        assertFalse(js.contains("localStorage"), "never in localStorage");
        assertFalse(js.contains("new EventSource"), "EventSource cannot send the token");
        // the canary analysis (issue 17): the latest windows' numbers and the weighted steps,
        // from the release's analysis (the fields ReleaseApiTest checks)
        assertTrue(html.contains("id=\"analysis-rows\""), html);
        assertTrue(html.contains("<th>Share wanted/served</th>"), html);
        assertTrue(html.contains("id=\"step-rows\""), html);
        for (String field :
                new String[] {
                    "d.analysis",
                    "w.canaryRequests",
                    "w.baselineErrorRate",
                    "w.canaryP95Ms",
                    "w.wantedShare",
                    "w.servedShare",
                    "w.reason",
                    "st.weightShare",
                    "st.servedShare"
                }) {
            assertTrue(js.contains(field), "app.js shows " + field);
        }
    }

    @Test
    void slashUiRedirectsToTheIndexAndAMissingFileIs404WithThePolicy() {
        given().redirects()
                .follow(false)
                .get("/ui")
                .then()
                .statusCode(302)
                .header("Location", endsWith("/ui/"))
                .header("Content-Security-Policy", equalTo(CSP));
        given().get("/ui/no-such-file.js")
                .then()
                .statusCode(404)
                .header("Content-Security-Policy", equalTo(CSP));
    }

    @Test
    void theApiOutsideUiHasNoDashboardPolicy() {
        given().get("/q/health/ready")
                .then()
                .statusCode(200)
                .header("Content-Security-Policy", nullValue());
    }

    @Test
    void everyDataCallOfThePageNeedsAToken() {
        for (String path :
                new String[] {"/whoami", "/releases?size=50", "/releases/r-1", "/dead-letters"}) {
            given().get(path)
                    .then()
                    .statusCode(401)
                    .header("WWW-Authenticate", containsString("Bearer"))
                    .body("error", equalTo("missing bearer token"));
            given().auth()
                    .oauth2("not-a-token")
                    .get(path)
                    .then()
                    .statusCode(401)
                    .body("error", equalTo("unknown token"))
                    .body(not(containsString("not-a-token")));
        }
        given().header("Accept", "text/event-stream").get("/events").then().statusCode(401);
        for (String verb :
                new String[] {"promote", "abort", "rollback", "pause", "resume", "retry"}) {
            given().contentType("application/json")
                    .body("{}")
                    .post("/releases/r-1/" + verb)
                    .then()
                    .statusCode(401);
            given().auth()
                    .oauth2(VIEWER_TOKEN)
                    .contentType("application/json")
                    .body("{}")
                    .post("/releases/r-1/" + verb)
                    .then()
                    .statusCode(403);
        }
    }

    @Test
    void whoamiSaysTheNameAndRoleOfTheToken() {
        var op = given().auth().oauth2(OPERATOR_TOKEN).get("/whoami").then().statusCode(200);
        op.body("name", equalTo(OPERATOR)).body("role", equalTo("operator"));
        var viewer = given().auth().oauth2(VIEWER_TOKEN).get("/whoami").then().statusCode(200);
        viewer.body("name", equalTo(VIEWER)).body("role", equalTo("viewer"));
        String body = given().auth().oauth2(OPERATOR_TOKEN).get("/whoami").asString();
        assertFalse(body.contains(OPERATOR_TOKEN), "the answer never repeats the token");
        assertEquals(2, body.split(",").length, body);
    }
}
