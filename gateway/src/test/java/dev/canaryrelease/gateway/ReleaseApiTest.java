package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.GatewayTestFiles.OPERATOR_TOKEN;
import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER_TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.DeployRequested;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PauseRequested;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ReleaseFailed;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.events.model.ResumeRequested;
import dev.canaryrelease.events.model.RollbackRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class ReleaseApiTest {
    static final String DIGEST = "sha256:" + "ab".repeat(32);
    static final String OLD_DIGEST = "sha256:" + "cd".repeat(32);

    static EventSender build;
    static EventSender registry;
    static EventSender lb;
    static EventSender deploy;
    static EventCapture capture;

    @BeforeAll
    static void start() {
        String b = KafkaTestResource.bootstrapServers();
        build = new EventSender(b, "build-service");
        registry = new EventSender(b, "registry-service");
        lb = new EventSender(b, "lb-service");
        deploy = new EventSender(b, "deploy-service");
        capture = EventCapture.start(b, Topics.GATEWAY);
    }

    @BeforeEach
    void ready() {
        Ready.await();
    }

    @AfterAll
    static void stop() {
        build.close();
        registry.close();
        lb.close();
        deploy.close();
        capture.close();
    }

    static RequestSpecification viewer() {
        return given().auth().oauth2(VIEWER_TOKEN);
    }

    static RequestSpecification operator() {
        return given().auth().oauth2(OPERATOR_TOKEN);
    }

    /** A release started by a real webhook delivery; returns its build.requested. */
    EventEnvelope<BuildRequested> newRelease() {
        String id =
                Github.delivery("push", UUID.randomUUID().toString(), Github.push())
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        return capture.await(id, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
    }

    /** The Kafka record of the gateway's event {@code eventId} (captured already). */
    static org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record(String eventId) {
        return capture.records().stream()
                .filter(r -> eventId.equals(r.header(CloudEventCodec.H_ID)))
                .findFirst()
                .orElseThrow()
                .record();
    }

    static JsonPath awaitState(String id, String state) {
        return Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> viewer().get("/releases/" + id),
                        r -> r.statusCode() == 200 && state.equals(r.path("state")))
                .jsonPath();
    }

    /** deploy-service's announcement that {@code cause} moved its release to {@code to}. */
    static EventEnvelope<ReleasePhaseChanged> announce(
            EventEnvelope<?> cause, Phase to, Phase from) {
        return deploy.send(cause, new ReleasePhaseChanged(cause.releaseId(), "example", to, from));
    }

    /** The latest event {@link #toCanaryLive} sent: deploy-service's CANARY_LIVE. */
    EventEnvelope<?> latest;

    /** Sends the canary chain of a release as the other services would; returns canary.live. */
    EventEnvelope<CanaryLive> toCanaryLive(EventEnvelope<BuildRequested> req) {
        String id = req.releaseId();
        var started =
                build.send(req, new BuildStarted(id, "example", req.data().commitSha(), null));
        announce(started, Phase.BUILDING, Phase.PENDING);
        awaitState(id, "BUILDING");
        var built =
                build.send(
                        started,
                        new BuildSucceeded(
                                id,
                                "example",
                                "example",
                                req.data().commitSha().substring(0, 12),
                                DIGEST,
                                1200,
                                null));
        announce(built, Phase.BUILT, Phase.BUILDING);
        awaitState(id, "BUILT");
        var pushed =
                registry.send(
                        built,
                        new ImagePushed(
                                id,
                                "example",
                                "example",
                                req.data().commitSha().substring(0, 12),
                                DIGEST));
        var update =
                deploy.send(
                        pushed,
                        new HostUpdateRequested(id, "example", "docker0", Stage.CANARY, DIGEST));
        announce(pushed, Phase.CANARY_UPDATING, Phase.BUILT);
        awaitState(id, "CANARY_UPDATING");
        var drained =
                lb.send(
                        update,
                        new HostDrained(id, "example", "docker0", Stage.CANARY, 0, 15, false));
        var updated =
                deploy.send(
                        drained,
                        new HostUpdated(
                                id, "example", "docker0", Stage.CANARY, DIGEST, OLD_DIGEST));
        var enabled = lb.send(updated, new HostEnabled(id, "example", "docker0", Stage.CANARY));
        var live = deploy.send(enabled, new CanaryLive(id, "example", List.of("docker0"), DIGEST));
        latest = announce(enabled, Phase.CANARY_LIVE, Phase.CANARY_UPDATING);
        awaitState(id, "CANARY_LIVE");
        return live;
    }

    @Test
    void releaseDetailFollowsTheEvents() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        JsonPath p = awaitState(id, "PENDING");
        assertEquals("example", p.getString("app"));
        assertEquals(req.data().commitSha(), p.getString("commitSha"));
        assertEquals("refs/heads/main", p.getString("ref"));
        assertEquals("octocat", p.getString("pusher"));
        EventEnvelope<CanaryLive> live = toCanaryLive(req);

        JsonPath d = viewer().get("/releases/" + id).then().statusCode(200).extract().jsonPath();
        assertEquals("CANARY_LIVE", d.getString("state"));
        assertEquals(DIGEST, d.getString("digest"));
        assertEquals(req.data().commitSha(), d.getString("commitSha"));
        List<Map<String, Object>> hosts = d.getList("hosts");
        assertEquals(
                List.of("docker0", "docker1", "docker2"),
                hosts.stream().map(h -> h.get("name")).toList());
        Map<String, Object> canary = hosts.get(0);
        assertEquals("canary", canary.get("role"));
        assertEquals(DIGEST, canary.get("digest"));
        assertEquals(OLD_DIGEST, canary.get("previousDigest"));
        assertEquals("READY", canary.get("lbState"));
        assertEquals(true, canary.get("runsRelease"));
        // docker1 was not touched by this release (other tests may have drained it)
        assertEquals(false, hosts.get(1).get("runsRelease"));
        List<String> types = d.getList("timeline.type");
        assertEquals(
                List.of(
                        "build.requested",
                        "build.started",
                        "release.phase-changed",
                        "build.succeeded",
                        "release.phase-changed",
                        "image.pushed",
                        "host.update-requested",
                        "release.phase-changed",
                        "host.drained",
                        "host.updated",
                        "host.enabled",
                        "canary.live",
                        "release.phase-changed"),
                types);
        assertEquals(
                List.of("BUILDING", "BUILT", "CANARY_UPDATING", "CANARY_LIVE"),
                d.getList("timeline.findAll { it.type == 'release.phase-changed' }.data.phase"));
        List<String> times = d.getList("timeline.time");
        assertTrue(times.stream().allMatch(t -> t != null && t.contains("T")), times.toString());
        assertEquals(live.id(), d.getString("timeline[11].id"));
        assertEquals("/canary-release/deploy-service", d.getString("timeline[11].source"));
        assertEquals(DIGEST, d.getString("timeline[11].data.digest"));
        assertEquals("canary", d.getString("timeline[8].data.stage"));
        // where the gateway read it: the partition of the app's key (one of the test broker's 6)
        assertEquals(
                "gateway.events:" + record(req.id()).partition() + ":" + record(req.id()).offset(),
                d.getString("timeline[0].position"));
    }

    @Test
    void promoteAbortRollbackPublishTheRequestWithTheOperator() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        awaitState(id, "PENDING");
        // too early
        operator()
                .post("/releases/" + id + "/promote")
                .then()
                .statusCode(409)
                .body("state", equalTo("PENDING"))
                .body("error", containsString("promote needs [CANARY_LIVE]"));
        EventEnvelope<CanaryLive> live = toCanaryLive(req);
        operator()
                .post("/releases/" + id + "/rollback")
                .then()
                .statusCode(409)
                .body("state", equalTo("CANARY_LIVE"));

        operator()
                .contentType("application/json")
                .body("{\"reason\": \"error rate flat for 10 minutes\"}")
                .post("/releases/" + id + "/promote")
                .then()
                .statusCode(202)
                .body("releaseId", equalTo(id))
                .body("command", equalTo("promote"))
                .body("type", equalTo("promotion.requested"))
                .body("operator", equalTo("alice"))
                .body("eventId", notNullValue());
        EventEnvelope<CanaryEvent> promo =
                capture.await(id, EventType.PROMOTION_REQUESTED, Duration.ofSeconds(30));
        PromotionRequested pr = (PromotionRequested) promo.data();
        assertEquals("example", pr.app(), "the command names the release's app");
        // keyed by the app: down the partition of the app's build.requested, to the one
        // deploy-service instance that owns the app (the test broker has 6 partitions)
        assertEquals("example", record(promo.id()).key());
        assertEquals(record(req.id()).partition(), record(promo.id()).partition());
        assertEquals("alice", pr.operator());
        assertEquals("error rate flat for 10 minutes", pr.reason());
        assertEquals(latest.id(), promo.causationId(), "caused by the release's latest event");
        assertEquals("/canary-release/gateway", promo.source());

        // abort without a body
        operator().post("/releases/" + id + "/abort").then().statusCode(202);
        EventEnvelope<CanaryEvent> abort =
                capture.await(id, EventType.ABORT_REQUESTED, Duration.ofSeconds(30));
        assertEquals("alice", ((AbortRequested) abort.data()).operator());
        assertEquals("example", ((AbortRequested) abort.data()).app());
        assertEquals(record(req.id()).partition(), record(abort.id()).partition());
        assertEquals(null, ((AbortRequested) abort.data()).reason());

        // the deploy service promotes after all: rollback is allowed, abort is not
        var promoted =
                deploy.send(live, new ReleasePromoted(id, "example", DIGEST, "all hosts updated"));
        var promotedPhase = announce(live, Phase.PROMOTED, Phase.CANARY_LIVE);
        awaitState(id, "PROMOTED");
        operator()
                .post("/releases/" + id + "/abort")
                .then()
                .statusCode(409)
                .body("state", equalTo("PROMOTED"));
        operator()
                .contentType("application/json")
                .body("{\"reason\": \"checkout broken\"}")
                .post("/releases/" + id + "/rollback")
                .then()
                .statusCode(202)
                .body("type", equalTo("rollback.requested"));
        EventEnvelope<CanaryEvent> rb =
                capture.await(id, EventType.ROLLBACK_REQUESTED, Duration.ofSeconds(30));
        assertEquals("checkout broken", ((RollbackRequested) rb.data()).reason());
        assertTrue(
                List.of(promoted.id(), promotedPhase.id(), abort.id()).contains(rb.causationId()),
                "caused by the latest event of the release");
        operator()
                .contentType("application/json")
                .body("{\"reason\": 42}")
                .post("/releases/" + id + "/rollback")
                .then()
                .statusCode(400)
                .body("error", equalTo("reason must be a string"));
    }

    @Test
    void aFullPromoteIsRefusedBeforeTheCanaryAndPublishedWithFullFromIt() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        awaitState(id, "PENDING");
        operator()
                .contentType("application/json")
                .body("{\"full\": true}")
                .post("/releases/" + id + "/promote")
                .then()
                .statusCode(409)
                .body("state", equalTo("PENDING"))
                .body(
                        "error",
                        containsString(
                                "full-promote needs [CANARY_LIVE, PROMOTING] (a full promotion is"
                                        + " only possible from CANARY_LIVE or PROMOTING)"));
        operator()
                .contentType("application/json")
                .body("{\"full\": \"yes\"}")
                .post("/releases/" + id + "/promote")
                .then()
                .statusCode(400)
                .body("error", equalTo("full must be true or false"));
        toCanaryLive(req);
        announce(latest, Phase.PROMOTING, Phase.CANARY_LIVE);
        awaitState(id, "PROMOTING");
        // a plain promote is refused during the promotion, a full one is taken
        operator().post("/releases/" + id + "/promote").then().statusCode(409);
        operator()
                .contentType("application/json")
                .body("{\"full\": true, \"reason\": \"hotfix, skip the steps\"}")
                .post("/releases/" + id + "/promote")
                .then()
                .statusCode(202)
                .body("command", equalTo("full-promote"))
                .body("type", equalTo("promotion.requested"));
        PromotionRequested pr =
                (PromotionRequested)
                        capture.await(id, EventType.PROMOTION_REQUESTED, Duration.ofSeconds(30))
                                .data();
        assertTrue(pr.full());
        assertEquals("alice", pr.operator());
        assertEquals("hotfix, skip the steps", pr.reason());
    }

    @Test
    void pauseAndResumeArePublishedWithTheOperatorAndRefusedWhereTheyDoNotApply() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        awaitState(id, "PENDING");
        toCanaryLive(req);
        operator()
                .post("/releases/" + id + "/pause")
                .then()
                .statusCode(409)
                .body("state", equalTo("CANARY_LIVE"))
                .body(
                        "error",
                        containsString(
                                "pause needs [PROMOTING] (pause is only possible during a"
                                        + " promotion)"));
        operator()
                .post("/releases/" + id + "/resume")
                .then()
                .statusCode(409)
                .body("error", containsString("resume needs [PAUSED]"));
        var promoting = announce(latest, Phase.PROMOTING, Phase.CANARY_LIVE);
        awaitState(id, "PROMOTING");
        viewer().post("/releases/" + id + "/pause").then().statusCode(403);
        operator()
                .contentType("application/json")
                .body("{\"reason\": \"latency on docker1\"}")
                .post("/releases/" + id + "/pause")
                .then()
                .statusCode(202)
                .body("command", equalTo("pause"))
                .body("type", equalTo("pause.requested"))
                .body("operator", equalTo("alice"));
        EventEnvelope<CanaryEvent> pause =
                capture.await(id, EventType.PAUSE_REQUESTED, Duration.ofSeconds(30));
        PauseRequested pr = (PauseRequested) pause.data();
        assertEquals("alice", pr.operator());
        assertEquals("latency on docker1", pr.reason());
        assertEquals(promoting.id(), pause.causationId(), "caused by the release's latest event");
        // the state is deploy-service's: PROMOTING until it announces the pause
        assertEquals("PROMOTING", viewer().get("/releases/" + id).path("state"));
        announce(pause, Phase.PAUSED, Phase.PROMOTING);
        JsonPath paused = awaitState(id, "PAUSED");
        assertTrue(
                paused.getList("timeline.type").contains("pause.requested"),
                "the audit trail: " + paused.getList("timeline.type"));
        operator().post("/releases/" + id + "/pause").then().statusCode(409);
        operator().post("/releases/" + id + "/promote").then().statusCode(409);
        operator()
                .post("/releases/" + id + "/resume")
                .then()
                .statusCode(202)
                .body("type", equalTo("resume.requested"));
        EventEnvelope<CanaryEvent> resume =
                capture.await(id, EventType.RESUME_REQUESTED, Duration.ofSeconds(30));
        assertEquals("alice", ((ResumeRequested) resume.data()).operator());
        announce(resume, Phase.PROMOTING, Phase.PAUSED);
        awaitState(id, "PROMOTING");
    }

    @Test
    void aPauseRightAfterAPromoteIsPublishedBehindIt() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        awaitState(id, "PENDING");
        toCanaryLive(req);
        operator().post("/releases/" + id + "/promote").then().statusCode(202);
        EventEnvelope<CanaryEvent> promote =
                capture.await(id, EventType.PROMOTION_REQUESTED, Duration.ofSeconds(30));
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                viewer().get("/releases/" + id)
                                        .jsonPath()
                                        .getList("timeline.type")
                                        .contains("promotion.requested"));
        // a verdict of a window judged before the promote lands meanwhile: the analysis's events
        // say nothing of the release's steps, so the promote is still the one to pause behind
        deploy.send(
                promote,
                new dev.canaryrelease.events.model.AnalysisVerdict(
                        id,
                        req.data().app(),
                        1,
                        dev.canaryrelease.events.analysis.Verdict.Outcome.INCONCLUSIVE,
                        "too little traffic: waiting for an operator",
                        null,
                        0,
                        2));
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                viewer().get("/releases/" + id)
                                        .jsonPath()
                                        .getList("timeline.type")
                                        .contains("analysis.verdict"));
        // still CANARY_LIVE (deploy-service has not answered), but the promote is on its way:
        // the pause goes behind it in the release's partition
        operator()
                .post("/releases/" + id + "/pause")
                .then()
                .statusCode(202)
                .body("type", equalTo("pause.requested"));
        EventEnvelope<CanaryEvent> pause =
                capture.await(id, EventType.PAUSE_REQUESTED, Duration.ofSeconds(30));
        assertEquals(promote.id(), pause.causationId(), "caused by the promote");
        // once deploy-service answers the promote with anything, a pause follows the table again
        deploy.send(
                pause,
                new dev.canaryrelease.events.model.PromotionRejected(
                        id, "pause is only possible during a promotion", "CANARY_LIVE"));
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                viewer().get("/releases/" + id)
                                        .jsonPath()
                                        .getList("timeline.type")
                                        .contains("promotion.rejected"));
        operator().post("/releases/" + id + "/pause").then().statusCode(409);
    }

    @Test
    void retryStartsANewReleaseOfAFailedReleasesImageAndIsRefusedOtherwise() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        awaitState(id, "PENDING");
        operator()
                .post("/releases/" + id + "/retry")
                .then()
                .statusCode(409)
                .body("state", equalTo("PENDING"))
                .body(
                        "error",
                        containsString(
                                "retry needs [FAILED] (retry is only possible from FAILED)"));
        var live = toCanaryLive(req);
        var failed =
                deploy.send(
                        live, new ReleaseFailed(id, "example", DIGEST, "update failed on docker1"));
        announce(failed, Phase.FAILED, Phase.CANARY_LIVE);
        awaitState(id, "FAILED");
        viewer().post("/releases/" + id + "/retry").then().statusCode(403);
        String newId =
                operator()
                        .contentType("application/json")
                        .body("{\"reason\": \"docker1 is fixed\"}")
                        .post("/releases/" + id + "/retry")
                        .then()
                        .statusCode(202)
                        .body("command", equalTo("retry"))
                        .body("type", equalTo("deploy.requested"))
                        .body("retryOf", equalTo(id))
                        .body("digest", equalTo(DIGEST))
                        .body("app", equalTo("example"))
                        .body("operator", equalTo("alice"))
                        .extract()
                        .path("releaseId");
        assertTrue(!newId.equals(id), "a new release");
        EventEnvelope<CanaryEvent> e =
                capture.await(newId, EventType.DEPLOY_REQUESTED, Duration.ofSeconds(30));
        DeployRequested dr = (DeployRequested) e.data();
        assertEquals(id, dr.retryOf());
        assertEquals(DIGEST, dr.digest());
        assertEquals("example", dr.repository());
        assertEquals("alice", dr.operator());
        assertEquals("docker1 is fixed", dr.reason());
        // the new release is in the read model from its first event, with the image
        JsonPath started = awaitState(newId, "PENDING");
        assertEquals(DIGEST, started.getString("digest"));
        assertEquals("FAILED", viewer().get("/releases/" + id).path("state"), "the old one stays");

        // a release that failed before it had an image cannot be retried
        EventEnvelope<BuildRequested> req2 = newRelease();
        String id2 = req2.releaseId();
        var buildFailed =
                build.send(req2, new BuildFailed(id2, "example", "compile error", 10, null));
        announce(buildFailed, Phase.FAILED, Phase.PENDING);
        awaitState(id2, "FAILED");
        operator()
                .post("/releases/" + id2 + "/retry")
                .then()
                .statusCode(409)
                .body("error", containsString("failed before it had an image"));
        operator().post("/releases/no-such-release/retry").then().statusCode(404);
    }

    @Test
    void abortIsTakenBeforeTheCanaryAsDeployServiceTakesIt() {
        // one rule table (events' OperatorCommand): deploy-service aborts a release that is still
        // building or queued, so the gateway publishes the abort instead of answering 409
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        awaitState(id, "PENDING");
        operator()
                .contentType("application/json")
                .body("{\"reason\": \"wrong branch\"}")
                .post("/releases/" + id + "/abort")
                .then()
                .statusCode(202)
                .body("type", equalTo("abort.requested"));
        EventEnvelope<CanaryEvent> abort =
                capture.await(id, EventType.ABORT_REQUESTED, Duration.ofSeconds(30));
        assertEquals("wrong branch", ((AbortRequested) abort.data()).reason());
        // and once deploy-service says it ended, the gateway refuses with deploy-service's words
        announce(abort, Phase.ABORTED, Phase.PENDING);
        awaitState(id, "ABORTED");
        operator()
                .post("/releases/" + id + "/abort")
                .then()
                .statusCode(409)
                .body("state", equalTo("ABORTED"))
                .body(
                        "error",
                        containsString(
                                "abort is only possible before promotion ends"
                                        + " (PENDING..PROMOTING, PAUSED)"));
    }

    @Test
    void authAndUnknownReleases() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        awaitState(id, "PENDING");
        given().get("/releases")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error", equalTo("missing bearer token"));
        given().get("/releases/" + id).then().statusCode(401);
        given().auth()
                .oauth2("not-a-known-token-at-all")
                .get("/releases")
                .then()
                .statusCode(401)
                .body("error", equalTo("unknown token"));
        given().header("Authorization", "Basic YWxpY2U6cHc=")
                .get("/releases")
                .then()
                .statusCode(401);
        given().post("/releases/" + id + "/promote").then().statusCode(401);
        for (String cmd : List.of("promote", "abort", "rollback")) {
            viewer().post("/releases/" + id + "/" + cmd)
                    .then()
                    .statusCode(403)
                    .body("error", equalTo("bob is a viewer: this needs the operator role"));
            operator().post("/releases/no-such-release/" + cmd).then().statusCode(404);
        }
        viewer().get("/releases/no-such-release")
                .then()
                .statusCode(404)
                .body("error", equalTo("no release no-such-release"));
        operator().get("/releases/" + id).then().statusCode(200);
    }

    @Test
    void listFiltersAndPagesNewestFirst() {
        EventEnvelope<BuildRequested> first = newRelease();
        EventEnvelope<BuildRequested> second = newRelease();
        awaitState(first.releaseId(), "PENDING");
        awaitState(second.releaseId(), "PENDING");
        // a hand-pushed image starts a release of its own
        String manual = UUID.randomUUID().toString();
        var manualPush =
                registry.send(new ImagePushed(manual, "example", "example", "manual", DIGEST));
        // deploy-service queues it behind the app's rollout
        announce(manualPush, Phase.BUILT, Phase.PENDING);
        awaitState(manual, "BUILT");

        List<String> ids =
                viewer().queryParam("app", "example")
                        .queryParam("size", 200)
                        .get("/releases")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("items.id");
        assertTrue(ids.indexOf(manual) < ids.indexOf(second.releaseId()), ids.toString());
        assertTrue(
                ids.indexOf(second.releaseId()) < ids.indexOf(first.releaseId()), ids.toString());

        viewer().queryParam("state", "BUILT")
                .queryParam("size", 200)
                .get("/releases")
                .then()
                .statusCode(200)
                .body("items.id", hasItem(manual))
                .body("items.id", not(hasItem(first.releaseId())))
                .body("items.state", not(hasItem("PENDING")));
        viewer().queryParam("state", "pending,built")
                .queryParam("size", 200)
                .get("/releases")
                .then()
                .statusCode(200)
                .body("items.id", hasItem(manual))
                .body("items.id", hasItem(first.releaseId()));
        viewer().queryParam("app", "other")
                .get("/releases")
                .then()
                .statusCode(200)
                .body("total", equalTo(0));

        JsonPath page0 =
                viewer().queryParam("size", 1)
                        .get("/releases")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        JsonPath page1 =
                viewer().queryParam("size", 1)
                        .queryParam("page", 1)
                        .get("/releases")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        assertEquals(1, page0.getList("items").size());
        assertEquals(1, page1.getList("items").size());
        assertTrue(page0.getInt("total") >= 3);
        assertTrue(!page0.getString("items[0].id").equals(page1.getString("items[0].id")));
        assertEquals(1, page1.getInt("page"));

        viewer().queryParam("state", "NOPE")
                .get("/releases")
                .then()
                .statusCode(400)
                .body("error", containsString("unknown state 'NOPE'"));
        viewer().queryParam("size", 0).get("/releases").then().statusCode(400);
        viewer().queryParam("page", -1).get("/releases").then().statusCode(400);
    }

    @Test
    void poisonIsDeadLetteredAndTheReadModelKeepsGoing() {
        try (EventCapture dead =
                EventCapture.start(
                        KafkaTestResource.bootstrapServers(), Topics.deadLetter("gateway-in"))) {
            String key = "poison-" + UUID.randomUUID();
            build.sendRaw(
                    Topics.BUILD,
                    key,
                    "not a cloud event".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    List.of());
            String manual = UUID.randomUUID().toString();
            var started = build.send(new BuildStarted(manual, "example", Github.randomSha(), null));
            announce(started, Phase.BUILDING, Phase.PENDING);
            awaitState(manual, "BUILDING");
            dead.awaitRecord(r -> key.equals(r.record().key()), Duration.ofSeconds(30));
        }
    }

    @Test
    void openApiDocumentsTheApi() {
        given().get("/q/openapi?format=json")
                .then()
                .statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/webhooks/github"))
                .body("paths", org.hamcrest.Matchers.hasKey("/releases/{id}/promote"))
                .body("paths", org.hamcrest.Matchers.hasKey("/releases/{id}/pause"))
                .body("paths", org.hamcrest.Matchers.hasKey("/releases/{id}/resume"))
                .body("paths", org.hamcrest.Matchers.hasKey("/releases/{id}/retry"))
                .body("paths", org.hamcrest.Matchers.hasKey("/events"))
                .body("components.securitySchemes.bearer.scheme", equalTo("bearer"));
        given().get("/q/swagger-ui/").then().statusCode(200);
    }

    /**
     * What {@code canaryctl get} and the dashboard show of a weighted canary: the judged window's
     * numbers with its step's wanted and served share, and each step's wanted share, the share its
     * weights give and the share served, from the events of lb-service and deploy-service.
     */
    @Test
    void aWeightedCanarysWindowsAndStepsAreInTheReleaseDetail() {
        EventEnvelope<BuildRequested> req = newRelease();
        String id = req.releaseId();
        EventEnvelope<CanaryLive> live = toCanaryLive(req);
        var set1 =
                lb.send(
                        live,
                        new dev.canaryrelease.events.model.CanaryWeightSet(
                                id,
                                "example",
                                "example",
                                1,
                                0.05,
                                0.05,
                                Map.of("docker0", 2, "docker1", 19, "docker2", 19),
                                null));
        var numbers =
                new dev.canaryrelease.events.analysis.Verdict.Numbers(
                        12, 0, 0.0, 228, 1, 1.0 / 228, 12, 5, 9, 228, 4, 8, 1, 100, 1300, 0.4,
                        0.34);
        var verdict =
                deploy.send(
                        set1,
                        new dev.canaryrelease.events.model.AnalysisVerdict(
                                id,
                                "example",
                                1,
                                dev.canaryrelease.events.analysis.Verdict.Outcome.PASS,
                                "the canary failed 0.00% of 12 requests; weighted step 1 of 2 (5%)"
                                        + " passed: the canary moves to step 2 of 2 (25%)",
                                numbers,
                                0,
                                2,
                                1,
                                0.05));
        var served =
                lb.send(
                        verdict,
                        new dev.canaryrelease.events.model.CanaryShareServed(
                                id,
                                "example",
                                1,
                                0.05,
                                0.048,
                                12,
                                250,
                                java.time.Instant.parse("2026-01-01T00:00:00Z"),
                                java.time.Instant.parse("2026-01-01T00:00:03Z"),
                                List.of()));
        lb.send(
                served,
                new dev.canaryrelease.events.model.CanaryWeightSet(
                        id,
                        "example",
                        "example",
                        2,
                        0.25,
                        0.25,
                        Map.of("docker0", 2, "docker1", 3, "docker2", 3),
                        null));

        JsonPath d =
                Awaitility.await()
                        .atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(50))
                        .until(
                                () -> viewer().get("/releases/" + id),
                                r -> r.statusCode() == 200 && r.path("analysis.steps[1]") != null)
                        .jsonPath();
        assertEquals(1, d.getInt("analysis.judged"));
        assertEquals("PASS", d.getString("analysis.windows[0].outcome"));
        assertEquals(12, d.getInt("analysis.windows[0].canaryRequests"));
        assertEquals(228, d.getInt("analysis.windows[0].baselineRequests"));
        assertEquals(9, d.getInt("analysis.windows[0].canaryP95Ms"));
        assertEquals(4, d.getInt("analysis.windows[0].baselineP50Ms"));
        assertEquals(1, d.getInt("analysis.windows[0].weightStep"));
        assertEquals(0.05, d.getDouble("analysis.windows[0].wantedShare"), 1e-9);
        assertEquals(0.05, d.getDouble("analysis.windows[0].servedShare"), 1e-9);
        assertTrue(
                d.getString("analysis.windows[0].reason")
                        .contains("the canary moves to step 2 of 2 (25%)"));
        assertEquals(1, d.getInt("analysis.steps[0].step"));
        assertEquals(0.048, d.getDouble("analysis.steps[0].servedShare"), 1e-9);
        assertEquals(250, d.getInt("analysis.steps[0].sessions"));
        assertEquals(19, d.getInt("analysis.steps[0].weights.docker1"));
        assertEquals(2, d.getInt("analysis.steps[1].step"));
        assertEquals(0.25, d.getDouble("analysis.steps[1].wantedShare"), 1e-9);
        org.junit.jupiter.api.Assertions.assertNull(d.get("analysis.steps[1].servedShare"));
    }
}
