package dev.canaryrelease.registry;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ImageRejected;
import dev.canaryrelease.events.model.RetentionDeleted;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.registry.domain.MediaTypes;
import dev.canaryrelease.registry.domain.Reasons;
import dev.canaryrelease.registry.messaging.RetentionJob;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * registry-service against a real docker-registry (TLS, htpasswd users) whose notifications come to
 * the service, with images built and pushed by a real dockerd logged in as one of the registry's
 * users; the service reads the registry as {@code registry-service}.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(RegistryInfra.class)
class RegistryNotificationsTest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static EventSender build;
    static EventSender deploy;
    static EventCapture capture;
    static HttpClient http;

    @Inject RetentionJob retention;

    @BeforeAll
    static void start() {
        http = RegistryInfra.registry.httpClient();
        build = new EventSender(KafkaTestResource.bootstrapServers(), "build-service");
        deploy = new EventSender(KafkaTestResource.bootstrapServers(), "deploy-service");
        capture =
                EventCapture.start(
                        KafkaTestResource.bootstrapServers(),
                        Topics.REGISTRY,
                        Topics.deadLetter("registry-in"));
    }

    @AfterAll
    static void stop() {
        build.close();
        deploy.close();
        capture.close();
    }

    /** A request to the registry API as registry-service (the registry refuses anonymous ones). */
    static HttpRequest.Builder registryRequest(String path) {
        return HttpRequest.newBuilder(URI.create(RegistryInfra.registry.url() + path))
                .header(
                        "Authorization",
                        RegistryInfra.registry.credentials("registry-service").basicAuth());
    }

    static List<ImagePushed> pushedOf(String digest) {
        return capture.events().stream()
                .filter(e -> e.data() instanceof ImagePushed p && p.digest().equals(digest))
                .map(e -> (ImagePushed) e.data())
                .toList();
    }

    static double metric(String line) {
        String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return body.lines()
                .filter(l -> l.startsWith(line))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    static String envelope(String repository, String tag, String digest, String action) {
        return """
               {"events":[{"id":"%s","timestamp":"%s","action":"%s",
                "target":{"mediaType":"%s","size":527,"digest":"%s","length":527,
                 "repository":"%s","url":"http://%s/v2/%s/manifests/%s","tag":"%s"},
                "request":{"id":"r","addr":"127.0.0.1:1","host":"%s","method":"PUT","useragent":"docker"},
                "actor":{},"source":{"addr":"localhost:5000","instanceID":"i"}}]}
               """
                .formatted(
                        UUID.randomUUID(),
                        Instant.now(),
                        action,
                        MediaTypes.DOCKER_MANIFEST,
                        digest,
                        repository,
                        RegistryInfra.registry.address(),
                        repository,
                        digest,
                        tag,
                        RegistryInfra.registry.address());
    }

    static int registryStatus(String method, String repository, String reference) {
        try {
            HttpRequest r =
                    registryRequest("/v2/" + repository + "/manifests/" + reference)
                            .header("Accept", MediaTypes.ACCEPT_MANIFESTS)
                            .method(method, HttpRequest.BodyPublishers.noBody())
                            .build();
            return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aLabelledPushGivesExactlyOneImagePushedCausedByItsBuild() {
        String release = UUID.randomUUID().toString();
        String tag = release.replace("-", "").substring(0, 12);
        // As build-service does: push first, then publish build.succeeded; the push waits for it.
        String digest =
                RegistryInfra.buildAndPush(
                        "build-service", "example-app", tag, "v-" + tag, release);
        EventEnvelope<BuildSucceeded> built =
                build.send(
                        new BuildSucceeded(
                                release, "example", "example-app", tag, digest, 1200, null));

        EventEnvelope<CanaryEvent> e = capture.await(release, EventType.IMAGE_PUSHED, WAIT);
        ImagePushed p = (ImagePushed) e.data();
        assertEquals(digest, p.digest());
        assertEquals(tag, p.tag());
        assertEquals("example", p.app());
        assertEquals("example-app", p.repository());
        assertEquals(built.id(), e.causationId());
        assertEquals("/canary-release/registry-service", e.source());
        assertEquals("build-service", p.pushedBy(), "the release records who pushed");

        // The registry redelivers the same envelope: accepted, counted as a duplicate, no event.
        given().contentType(MediaTypes.EVENTS)
                .header("Authorization", "Bearer " + RegistryInfra.TOKEN)
                .body(envelope("example-app", tag, digest, "push"))
                .post("/registry/notifications")
                .then()
                .statusCode(200)
                .body("queued", equalTo(0))
                .body("duplicates", equalTo(1));

        // A pull of that image: the registry notifies it, the service ignores it.
        double ignoredBefore = metric("registry_notification_events_total{kind=\"ignored\"");
        double queuedBefore = metric("registry_notification_events_total{kind=\"queued\"");
        double duplicatesBefore = metric("registry_notification_events_total{kind=\"duplicate\"");
        String image = RegistryInfra.registry.address() + "/example-app:" + tag;
        RegistryInfra.engine.docker("rmi", image).orThrow();
        RegistryInfra.engine.docker(Duration.ofMinutes(2), "pull", "-q", image).orThrow();
        Awaitility.await()
                .atMost(WAIT)
                .until(
                        () ->
                                metric("registry_notification_events_total{kind=\"ignored\"")
                                        > ignoredBefore);
        // The pull was neither queued nor taken for a redelivered push.
        assertEquals(queuedBefore, metric("registry_notification_events_total{kind=\"queued\""));
        assertEquals(
                duplicatesBefore, metric("registry_notification_events_total{kind=\"duplicate\""));

        // Still exactly one image.pushed for the digest, for a while.
        Awaitility.await()
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> pushedOf(digest).size() == 1);
        assertEquals(1, capture.events(release).size());

        // The tag listing shows the push.
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/images/example-app/tags")
                .then()
                .statusCode(200)
                .body("repository", equalTo("example-app"))
                .body("tags.find { it.tag == '" + tag + "' }.digest", equalTo(digest))
                .body(
                        "tags.find { it.tag == '" + tag + "' }.pushedAt",
                        org.hamcrest.Matchers.notNullValue());
    }

    @Test
    void anOciIndexPushedByTagGivesOneImagePushedWithTheReleaseOfItsImage() throws Exception {
        String release = UUID.randomUUID().toString();
        String run = release.substring(0, 8);
        // the platform image, labelled and pushed by tag first: its digest is not the build's
        // (the build produced the index), so it alone is refused
        String child =
                RegistryInfra.buildAndPush(
                        "build-service", "example-app", "c-" + run, "c-" + run, release);
        HttpResponse<byte[]> m =
                http.send(
                        registryRequest("/v2/example-app/manifests/" + child)
                                .header("Accept", MediaTypes.ACCEPT_MANIFESTS)
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, m.statusCode());
        String childType = m.headers().firstValue("Content-Type").orElseThrow();
        String entry =
                "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%d,"
                        + "\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}}";
        String index =
                "{\"schemaVersion\":2,\"mediaType\":\""
                        + MediaTypes.OCI_INDEX
                        + "\",\"manifests\":["
                        + entry.formatted(childType, child, m.body().length, "arm64")
                        + ","
                        + entry.formatted(childType, child, m.body().length, "amd64")
                        + "]}";
        String tag = "idx-" + run;
        HttpResponse<String> put =
                http.send(
                        registryRequest("/v2/example-app/manifests/" + tag)
                                .header("Content-Type", MediaTypes.OCI_INDEX)
                                .PUT(HttpRequest.BodyPublishers.ofString(index))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(201, put.statusCode(), put.body());
        String indexDigest = put.headers().firstValue("Docker-Content-Digest").orElseThrow();
        EventEnvelope<BuildSucceeded> built =
                build.send(
                        new BuildSucceeded(
                                release, "example", "example-app", tag, indexDigest, 900, null));

        EventEnvelope<CanaryEvent> e =
                capture.await(
                        x -> x.data() instanceof ImagePushed p && p.digest().equals(indexDigest),
                        WAIT);
        assertEquals(release, e.releaseId());
        assertEquals(built.id(), e.causationId());
        assertEquals(tag, ((ImagePushed) e.data()).tag());
        ImageRejected childRejected =
                (ImageRejected)
                        capture.await(
                                        x ->
                                                x.data() instanceof ImageRejected r
                                                        && r.digest().equals(child),
                                        WAIT)
                                .data();
        assertEquals(indexDigest, childRejected.buildDigest());
        Awaitility.await()
                .during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(3))
                .until(() -> pushedOf(indexDigest).size() == 1 && pushedOf(child).isEmpty());
    }

    @Test
    void aLabelledImageWithAnotherDigestThanItsBuildIsRejectedAndStartsNothing() {
        String release = UUID.randomUUID().toString();
        String tag = "forged-" + release.substring(0, 8);
        // build-service's build produced one digest; someone pushes another image with the label
        String built = "sha256:" + "b".repeat(64);
        EventEnvelope<BuildSucceeded> succeeded =
                build.send(
                        new BuildSucceeded(
                                release, "example", "example-app", tag, built, 900, null));
        String pushed =
                RegistryInfra.buildAndPush("ci-user", "example-app", tag, "forged-" + tag, release);

        EventEnvelope<CanaryEvent> e = capture.await(release, EventType.IMAGE_REJECTED, WAIT);
        ImageRejected r = (ImageRejected) e.data();
        assertEquals(pushed, r.digest());
        assertEquals(built, r.buildDigest());
        assertEquals("ci-user", r.pushedBy());
        assertEquals("example", r.app());
        assertEquals(tag, r.tag());
        assertTrue(r.reason().startsWith(Reasons.DIGEST_MISMATCH), r.reason());
        assertTrue(r.reason().contains(pushed) && r.reason().contains(built), r.reason());
        assertEquals(succeeded.id(), e.causationId());
        // no image.pushed for the release: deploy-service has nothing to roll out
        Awaitility.await()
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(
                        () ->
                                capture.events(release).stream()
                                        .noneMatch(x -> x.data() instanceof ImagePushed));
    }

    @Test
    void aLabelledImageWhoseReleaseNeverBuiltIsRejected() {
        String release = UUID.randomUUID().toString();
        String tag = "nobuild-" + release.substring(0, 8);
        String pushed =
                RegistryInfra.buildAndPush("build-service", "example-app", tag, tag, release);
        EventEnvelope<CanaryEvent> e =
                capture.await(release, EventType.IMAGE_REJECTED, WAIT.plusSeconds(20));
        ImageRejected r = (ImageRejected) e.data();
        assertEquals(pushed, r.digest());
        assertNull(r.buildDigest());
        assertTrue(r.reason().startsWith(Reasons.NO_BUILD), r.reason());
        assertTrue(pushedOf(pushed).isEmpty());
    }

    @Test
    void anUnlabelledPushByAUserNotInReleaseByPushStartsNothing() {
        String tag = "stranger-" + UUID.randomUUID().toString().substring(0, 8);
        String digest = RegistryInfra.buildAndPush("someone", "example-app", tag, tag, null);

        EventEnvelope<CanaryEvent> e =
                capture.await(
                        x -> x.data() instanceof ImageRejected r && r.digest().equals(digest),
                        WAIT);
        ImageRejected r = (ImageRejected) e.data();
        assertEquals("someone", r.pushedBy(), "the event says who pushed");
        assertNull(r.buildDigest());
        assertTrue(r.reason().startsWith(Reasons.NOT_ALLOWED_BY_PUSH), r.reason());
        assertTrue(r.reason().contains("'someone'") && r.reason().contains("starts nothing"));
        assertNull(e.causationId());
        Awaitility.await()
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> pushedOf(digest).isEmpty());
    }

    @Test
    void theRegistryRefusesAnonymousAndWrongCredentials() throws Exception {
        String tag = "anon-" + UUID.randomUUID().toString().substring(0, 8);
        String image = RegistryInfra.registry.address() + "/example-app:" + tag;
        java.nio.file.Path ctx =
                dev.canaryrelease.testsupport.infra.ExampleApp.writeContext(
                        java.nio.file.Files.createTempDirectory("anon-ctx"), tag, false);
        RegistryInfra.engine
                .docker(Duration.ofMinutes(2), "build", "-q", "-t", image, ctx.toString())
                .orThrow();
        synchronized (RegistryInfra.class) {
            RegistryInfra.registry.login(RegistryInfra.engine, null);
            var push = RegistryInfra.engine.docker(Duration.ofMinutes(2), "push", image);
            assertNotEquals(0, push.exitCode(), push.stdout());
            assertTrue(push.stderr().contains("no basic auth credentials"), push.stderr());
        }
        // the API (what a pull asks first): anonymous 401 with a Basic challenge, a wrong password
        // 401 as well
        HttpResponse<Void> anon =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                RegistryInfra.registry.url()
                                                        + "/v2/example-app/manifests/latest"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
        assertEquals(401, anon.statusCode());
        assertTrue(
                anon.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"),
                anon.headers().map().toString());
        HttpResponse<Void> wrong =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                RegistryInfra.registry.url()
                                                        + "/v2/example-app/tags/list"))
                                .header(
                                        "Authorization",
                                        "Basic "
                                                + java.util.Base64.getEncoder()
                                                        .encodeToString(
                                                                "registry-service:wrong"
                                                                        .getBytes(
                                                                                StandardCharsets
                                                                                        .UTF_8)))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
        assertEquals(401, wrong.statusCode());
        // the refused push reached nobody: no tag, no event
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/images/example-app/tags")
                .then()
                .statusCode(200)
                .body("tags.tag", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(tag)));
        assertTrue(
                capture.events().stream()
                        .noneMatch(
                                x ->
                                        (x.data() instanceof ImagePushed p && tag.equals(p.tag()))
                                                || (x.data() instanceof ImageRejected r
                                                        && tag.equals(r.tag()))));
    }

    @Test
    void anUnlabelledPushByAUserInReleaseByPushStartsANewReleaseThatRecordsWhoPushed() {
        String tag = "hand-" + UUID.randomUUID().toString().substring(0, 8);
        String digest =
                RegistryInfra.buildAndPush("ci-user", "example-app", tag, "hand-" + tag, null);

        EventEnvelope<CanaryEvent> e =
                capture.await(
                        x -> x.data() instanceof ImagePushed p && p.digest().equals(digest), WAIT);
        ImagePushed p = (ImagePushed) e.data();
        assertEquals(tag, p.tag());
        assertEquals("example", p.app());
        assertEquals("ci-user", p.pushedBy());
        assertNull(e.causationId(), "a hand push starts a new chain");
        assertNotNull(p.releaseId());
        assertEquals(p.releaseId(), e.releaseId());
        assertTrue(
                capture.events().stream()
                        .filter(x -> x.releaseId().equals(p.releaseId()))
                        .allMatch(x -> x.id().equals(e.id())),
                "the release id is new");
    }

    @Test
    void anImageOfNoAppIsIgnored() {
        double queuedBefore = metric("registry_notification_events_total{kind=\"queued\"");
        String tag = "other-" + UUID.randomUUID().toString().substring(0, 8);
        String digest = RegistryInfra.buildAndPush("ci-user", "team/not-an-app", tag, tag, null);
        Awaitility.await()
                .atMost(WAIT)
                .until(
                        () ->
                                metric("registry_notification_events_total{kind=\"queued\"")
                                        > queuedBefore);
        // A repository name with a slash goes through to the registry API.
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/images/team/not-an-app/tags")
                .then()
                .statusCode(200)
                .body("repository", equalTo("team/not-an-app"))
                .body("tags[0].tag", equalTo(tag))
                .body("tags[0].digest", equalTo(digest));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/images/no-such-repo/tags")
                .then()
                .statusCode(404);
        Awaitility.await()
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> pushedOf(digest).isEmpty());
    }

    @Test
    void aWrongTokenIs401() {
        String body = envelope("example-app", "x", "sha256:" + "a".repeat(64), "push");
        given().contentType(MediaTypes.EVENTS)
                .header("Authorization", "Bearer wrong-" + RegistryInfra.TOKEN)
                .body(body)
                .post("/registry/notifications")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"));
        given().contentType(MediaTypes.EVENTS)
                .body(body)
                .post("/registry/notifications")
                .then()
                .statusCode(401);
        given().contentType(MediaTypes.EVENTS)
                .header("Authorization", "Basic " + RegistryInfra.TOKEN)
                .body(body)
                .post("/registry/notifications")
                .then()
                .statusCode(401);
    }

    @Test
    void aMalformedBodyIs400WithTheReasonAndNoEvent() {
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer " + RegistryInfra.TOKEN)
                .body("{\"events\": {\"action\": \"push\"}}")
                .post("/registry/notifications")
                .then()
                .statusCode(400)
                .body("error", equalTo("malformed notification: no \"events\" array"));
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer " + RegistryInfra.TOKEN)
                .body(
                        "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":\""
                                + MediaTypes.OCI_MANIFEST
                                + "\",\"repository\":\"example-app\",\"tag\":\"bad\"}}]}")
                .post("/registry/notifications")
                .then()
                .statusCode(400)
                .body("error", containsString("events[0].target.digest"));
        given().contentType("text/plain")
                .header("Authorization", "Bearer " + RegistryInfra.TOKEN)
                .body("{\"events\":[]}")
                .post("/registry/notifications")
                .then()
                .statusCode(415);
        assertTrue(
                capture.events().stream()
                        .noneMatch(
                                e -> e.data() instanceof ImagePushed p && p.tag().equals("bad")));
    }

    @Test
    void retentionDeletesOldTagsButKeepsDeployedAndRollbackDigests() {
        String repo = "retained-app";
        String run = UUID.randomUUID().toString().substring(0, 6);
        String[] tags = new String[5];
        String[] digests = new String[5];
        for (int i = 0; i < 5; i++) {
            tags[i] = run + "-v" + i;
            digests[i] = RegistryInfra.buildAndPush("ci-user", repo, tags[i], tags[i], null);
            String d = digests[i];
            capture.await(x -> x.data() instanceof ImagePushed p && p.digest().equals(d), WAIT);
        }
        // A poison record on deploy.events goes to dead letters; the next event still counts.
        deploy.sendRaw(
                Topics.DEPLOY,
                "poison",
                "\u0000not a cloud event".getBytes(StandardCharsets.ISO_8859_1),
                List.of());
        String release = UUID.randomUUID().toString();
        deploy.send(
                new HostUpdated(
                        release, "retained", "docker0", Stage.CANARY, digests[1], digests[0]));
        EventCapture.Captured dead =
                capture.awaitRecord(
                        r -> r.record().topic().equals(Topics.deadLetter("registry-in")), WAIT);
        assertEquals("poison", dead.record().key());
        assertNull(dead.header(CloudEventCodec.H_TYPE));

        Awaitility.await()
                .atMost(WAIT)
                .untilAsserted(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/images/" + repo + "/tags")
                                        .then()
                                        .statusCode(200)
                                        .body(
                                                "tags.find { it.tag == '"
                                                        + tags[1]
                                                        + "' }.runningOn",
                                                equalTo(List.of("docker0")))
                                        .body(
                                                "tags.find { it.tag == '"
                                                        + tags[0]
                                                        + "' }.previousOn",
                                                equalTo(List.of("docker0"))));

        // keep = 2: v4 and v3 are the newest; v1 runs on docker0 and v0 is its rollback image.
        RetentionJob.Report report = retention.run(repo);
        assertEquals(List.of(digests[2]), report.deleted());

        assertEquals(404, registryStatus("HEAD", repo, digests[2]));
        for (int i : new int[] {0, 1, 3, 4}) {
            assertEquals(200, registryStatus("HEAD", repo, digests[i]), "digest of " + tags[i]);
        }
        EventEnvelope<CanaryEvent> deleted =
                capture.await(
                        e ->
                                e.data() instanceof RetentionDeleted r
                                        && r.repository().equals(repo)
                                        && r.deleted().contains(digests[2]),
                        WAIT);
        assertEquals(CanaryEvent.NO_RELEASE, deleted.releaseId());
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/images/" + repo + "/tags")
                .then()
                .statusCode(200)
                .body("tags.tag", equalTo(List.of(tags[4], tags[3], tags[1], tags[0])));

        // A second run has nothing left to delete.
        assertEquals(List.of(), retention.run(repo).deleted());
        assertNotEquals(null, report.kept());
    }
}
