package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.GatewayTestFiles.OPERATOR_TOKEN;
import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER_TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.DeployRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * {@code POST /apps/{app}/deploy} against a real registry (TLS, htpasswd): the gateway finds the
 * digest of a tag or digest of the app's image as its own registry user and publishes {@code
 * deploy.requested} for a new release; what does not apply is a sentence.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(GatewayRegistry.class)
@WithTestResource(GatewayTestFiles.class)
class DeployApiTest {
    static EventCapture capture;
    static EventSender deploy;

    @BeforeAll
    static void start() {
        capture = EventCapture.start(KafkaTestResource.bootstrapServers(), Topics.GATEWAY);
        deploy = new EventSender(KafkaTestResource.bootstrapServers(), "deploy-service");
    }

    @AfterAll
    static void stop() {
        capture.close();
        deploy.close();
    }

    @BeforeEach
    void ready() {
        Ready.await();
    }

    static RequestSpecification operator() {
        return given().auth().oauth2(OPERATOR_TOKEN).contentType("application/json");
    }

    static Response deploy(String app, String body) {
        return operator().body(body).post("/apps/" + app + "/deploy");
    }

    static String awaitState(String id, String state) {
        return Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> given().auth().oauth2(VIEWER_TOKEN).get("/releases/" + id),
                        r -> r.statusCode() == 200 && state.equals(r.path("state")))
                .asString();
    }

    @Test
    void aTagIsDeployedAsTheDigestTheRegistryHasForIt() {
        String id =
                deploy("example", "{\"ref\": \"v1\", \"reason\": \"back to v1\"}")
                        .then()
                        .statusCode(202)
                        .body("command", equalTo("deploy"))
                        .body("type", equalTo("deploy.requested"))
                        .body("app", equalTo("example"))
                        .body("image", equalTo(GatewayRegistry.IMAGE))
                        .body("tag", equalTo("v1"))
                        .body("digest", equalTo(GatewayRegistry.v1))
                        .body("operator", equalTo("alice"))
                        .body("reason", equalTo("back to v1"))
                        .body("retryOf", nullValue())
                        .extract()
                        .path("releaseId");
        DeployRequested dr =
                (DeployRequested)
                        capture.await(id, EventType.DEPLOY_REQUESTED, Duration.ofSeconds(30))
                                .data();
        assertEquals("example", dr.app());
        assertEquals(GatewayRegistry.IMAGE, dr.repository());
        assertEquals("v1", dr.tag());
        assertEquals(GatewayRegistry.v1, dr.digest());
        assertEquals("alice", dr.operator());
        assertEquals("back to v1", dr.reason());
        assertNull(dr.retryOf());
        // the new release is in the read model from its first event, with the image
        var detail = io.restassured.path.json.JsonPath.from(awaitState(id, "PENDING"));
        assertEquals(GatewayRegistry.v1, detail.getString("digest"));
        assertEquals("alice", detail.getString("pusher"));

        // the same image again while that release is on its way: 409 with the release
        deploy("example", "{\"ref\": \"" + GatewayRegistry.v1 + "\"}")
                .then()
                .statusCode(409)
                .body("releaseId", equalTo(id))
                .body(
                        "error",
                        equalTo(
                                "release "
                                        + id
                                        + " of "
                                        + GatewayRegistry.v1
                                        + " is already PENDING: follow it, or abort it before"
                                        + " deploying it again"));
    }

    @Test
    void aDigestIsDeployedWithoutATag() {
        deploy("example", "{\"ref\": \"" + GatewayRegistry.v2 + "\"}")
                .then()
                .statusCode(202)
                .body("digest", equalTo(GatewayRegistry.v2))
                .body("tag", nullValue())
                .body("reason", nullValue());
    }

    @Test
    void whatTheRegistryDoesNotHaveIsA404WithASentence() {
        deploy("example", "{\"ref\": \"v9\"}")
                .then()
                .statusCode(404)
                .body(
                        "error",
                        equalTo(
                                "the registry has no example-app:v9; a tag or digest of"
                                        + " example-app the registry keeps is needed"));
        String unknown = "sha256:" + "0".repeat(64);
        deploy("example", "{\"ref\": \"" + unknown + "\"}")
                .then()
                .statusCode(404)
                .body("error", containsString("the registry has no example-app@" + unknown));
        // other-app's tag is not example-app's
        deploy("example", "{\"ref\": \"" + GatewayRegistry.otherV1 + "\"}").then().statusCode(404);
        deploy("nope", "{\"ref\": \"v1\"}")
                .then()
                .statusCode(404)
                .body("error", equalTo("no app nope in the fleet; the apps are [example, other]"));
    }

    @Test
    void badBodiesAre400AndTheTokenComesFirst() {
        deploy("example", "")
                .then()
                .statusCode(400)
                .body("error", containsString("the body needs ref, a tag or a sha256: digest"));
        deploy("example", "{\"ref\": \"-v1\"}")
                .then()
                .statusCode(400)
                .body("error", containsString("ref '-v1' is not a tag"));
        deploy("example", "{\"ref\": \"sha256:abc\"}")
                .then()
                .statusCode(400)
                .body("error", containsString("is not a digest"));
        deploy("example", "{\"ref\": 1}").then().statusCode(400);
        deploy("example", "not json").then().statusCode(400);
        // auth before the body: a stranger with a bad body learns nothing about it
        given().body("not json").post("/apps/example/deploy").then().statusCode(401);
        given().auth()
                .oauth2(VIEWER_TOKEN)
                .body("{\"ref\": \"v1\"}")
                .post("/apps/example/deploy")
                .then()
                .statusCode(403);
        given().body("not json").post("/apps/nope/deploy").then().statusCode(401);
        given().body("not json").post("/releases/x/promote").then().statusCode(401);
    }

    @Test
    void anImageEveryHostRunsAlreadyIsA409() {
        // a promoted release of other-app v1 on every docker host, as deploy-service reports it
        String id = UUID.randomUUID().toString();
        var first =
                deploy.send(
                        new ReleasePhaseChanged(id, "other", Phase.PROMOTING, Phase.CANARY_LIVE));
        dev.canaryrelease.events.EventEnvelope<?> last = first;
        for (String h : new String[] {"docker0", "docker1", "docker2"}) {
            last =
                    deploy.send(
                            last,
                            new HostUpdated(
                                    id,
                                    "other",
                                    h,
                                    h.equals("docker0") ? Stage.CANARY : Stage.PROMOTION,
                                    GatewayRegistry.otherV1,
                                    "sha256:" + "1".repeat(64)));
        }
        deploy.send(last, new ReleasePhaseChanged(id, "other", Phase.PROMOTED, Phase.PROMOTING));
        awaitState(id, "PROMOTED");

        deploy("other", "{\"ref\": \"v1\"}")
                .then()
                .statusCode(409)
                .body("releaseId", equalTo(id))
                .body(
                        "error",
                        equalTo(
                                "every host of other already runs "
                                        + GatewayRegistry.otherV1
                                        + " (release "
                                        + id
                                        + ", PROMOTED): there is nothing to deploy"));
    }

    @Test
    void aRegistryThatCannotBeAskedIsA503() {
        GatewayRegistry.registry.stop();
        try {
            deploy("example", "{\"ref\": \"v1\"}")
                    .then()
                    .statusCode(503)
                    .body("error", containsString("cannot be reached for example-app:v1"))
                    .body(
                            "error",
                            not(
                                    containsString(
                                            GatewayRegistry.registry
                                                    .credentials("gateway")
                                                    .password())));
        } finally {
            GatewayRegistry.registry.restart();
        }
    }

    @Test
    void openApiDocumentsTheDeploy() {
        given().get("/q/openapi?format=json")
                .then()
                .statusCode(200)
                .body("paths", hasKey("/apps/{app}/deploy"))
                .body("paths.'/apps/{app}/deploy'.post.responses", hasKey("409"));
    }
}
