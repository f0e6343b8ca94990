package dev.canaryrelease.builder;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/** Builds on a real dockerd over TLS, pushes to a real registry, from a local git repository. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(RealInfra.class)
class BuildServiceTest {
    static final Duration BUILD = Duration.ofSeconds(120);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static EventSender sender;
    static EventCapture capture;

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void start() {
        sender =
                Kafka.withKafkaLoader(
                        () -> new EventSender(KafkaTestResource.bootstrapServers(), "gateway"));
        capture =
                Kafka.withKafkaLoader(
                        () ->
                                EventCapture.start(
                                        KafkaTestResource.bootstrapServers(), Topics.BUILD));
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    static BuildRequested request(String sha) {
        return request("example", sha);
    }

    static BuildRequested request(String app, String sha) {
        return new BuildRequested(
                UUID.randomUUID().toString(),
                app,
                GitFixture.REPOSITORY,
                GitFixture.CLONE_URL,
                "refs/heads/main",
                sha,
                "octocat",
                "delivery-" + UUID.randomUUID());
    }

    /** The end of a build: its build.succeeded or build.failed. */
    static EventEnvelope<CanaryEvent> awaitEnd(String release, Duration timeout) {
        return capture.await(
                e ->
                        e.releaseId().equals(release)
                                && (e.type() == EventType.BUILD_SUCCEEDED
                                        || e.type() == EventType.BUILD_FAILED),
                timeout);
    }

    static BuildFailed awaitFailure(String release, Duration timeout) {
        CanaryEvent e = awaitEnd(release, timeout).data();
        assertTrue(e instanceof BuildFailed, "expected build.failed, got " + e);
        return (BuildFailed) e;
    }

    static EventEnvelope<BuildSucceeded> awaitSuccess(String release, Duration timeout) {
        EventEnvelope<CanaryEvent> e = awaitEnd(release, timeout);
        assertTrue(e.data() instanceof BuildSucceeded, "expected build.succeeded, got " + e.data());
        @SuppressWarnings("unchecked")
        EventEnvelope<BuildSucceeded> s = (EventEnvelope<BuildSucceeded>) (EventEnvelope<?>) e;
        return s;
    }

    /** GET {@code url}; the registry's API over its TLS, as registry-service (it needs a user). */
    static HttpResponse<String> get(String url, String accept) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (accept != null) {
            b.header("Accept", accept);
        }
        if (url.startsWith(RealInfra.registry.url())) {
            b.header(
                    "Authorization",
                    RealInfra.registry.credentials("registry-service").basicAuth());
            return RealInfra.registry
                    .httpClient()
                    .send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void goodCommitEndsInTheRegistryWithItsLabelsAndARedeliveryIsNotRebuilt() throws Exception {
        String sha = RealInfra.git.commitApp("v1");
        EventEnvelope<BuildRequested> req = sender.send(request(sha));
        String release = req.data().releaseId();

        EventEnvelope<BuildStarted> started =
                capture.await(release, EventType.BUILD_STARTED, Duration.ofSeconds(30));
        assertEquals(req.id(), started.causationId());
        EventEnvelope<BuildSucceeded> ok = awaitSuccess(release, BUILD);
        assertEquals(req.id(), ok.causationId());
        BuildSucceeded s = ok.data();
        String tag = sha.substring(0, 12);
        assertEquals(RealInfra.registry.address() + "/example-app", s.image());
        assertEquals(tag, s.tag());
        assertTrue(s.digest().matches("sha256:[0-9a-f]{64}"), s.digest());
        assertTrue(s.durationMs() > 0);
        assertEquals("/builds/" + release + "/log", s.logLocation());

        // the registry has the tag, its manifest has the pushed digest, its config the labels
        String reg = RealInfra.registry.url();
        JsonNode tags = JSON.readTree(get(reg + "/v2/example-app/tags/list", null).body());
        assertTrue(tags.get("tags").toString().contains("\"" + tag + "\""), tags.toString());
        HttpResponse<String> manifest =
                get(
                        reg + "/v2/example-app/manifests/" + tag,
                        "application/vnd.docker.distribution.manifest.v2+json");
        assertEquals(200, manifest.statusCode());
        assertEquals(
                s.digest(), manifest.headers().firstValue("Docker-Content-Digest").orElse(null));
        String configDigest = JSON.readTree(manifest.body()).at("/config/digest").asText();
        JsonNode labels =
                JSON.readTree(get(reg + "/v2/example-app/blobs/" + configDigest, null).body())
                        .at("/config/Labels");
        assertEquals(sha, labels.get("org.opencontainers.image.revision").asText());
        assertEquals(GitFixture.CLONE_URL, labels.get("org.opencontainers.image.source").asText());
        assertEquals(release, labels.get("dev.canaryrelease.release-id").asText());

        // status, log, workspace gone
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + release)
                .then()
                .statusCode(200)
                .body("status", equalTo("SUCCEEDED"))
                .body("digest", equalTo(s.digest()))
                .body("tag", equalTo(tag));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + release + "/log")
                .then()
                .statusCode(200)
                .body(containsString("Step 1/"))
                .body(containsString("files of " + tag))
                .body(containsString("build succeeded"));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + UUID.randomUUID())
                .then()
                .statusCode(404);
        assertTrue(Files.notExists(RealInfra.dataDir.resolve("work").resolve(release)));

        // a redelivered request re-emits the result, caused by it, without a new build
        sender.send(req);
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> count(release, EventType.BUILD_SUCCEEDED) == 2);
        assertEquals(1, count(release, EventType.BUILD_STARTED));
        BuildSucceeded again =
                (BuildSucceeded)
                        capture.events(release).stream()
                                .filter(e -> e.type() == EventType.BUILD_SUCCEEDED)
                                .reduce((a, b) -> b)
                                .orElseThrow()
                                .data();
        assertEquals(s.digest(), again.digest());
    }

    static long count(String release, EventType type) {
        return capture.events(release).stream().filter(e -> e.type() == type).count();
    }

    @Test
    void brokenDockerfileNamesTheFailingStepAndItsLastLines() {
        RealInfra.git.commitApp("v-broken");
        String sha =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        RUN ["/bin/busybox", "sh", "-c", "echo compiling the app; echo 'error: 3 tests failed' >&2; exit 3"]
                        COPY start.sh app.env /app/
                        """,
                        "a step that fails");
        String release = sender.send(request(sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, BUILD);
        assertTrue(
                f.reason()
                        .matches(
                                "(?s)build step failed: Step 3/\\d+ : RUN \\[\"/bin/busybox\", \"sh\".*"),
                f.reason());
        assertTrue(f.reason().contains("returned a non-zero code: 3"), f.reason());
        assertTrue(f.reason().contains("error: 3 tests failed"), f.reason());
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + release)
                .then()
                .statusCode(200)
                .body("status", equalTo("FAILED"))
                .body("reason", containsString("Step 3/"));
    }

    @Test
    void unknownCommitFails() {
        String release =
                sender.send(request("0123456789abcdef0123456789abcdef01234567")).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(f.reason().startsWith("commit not found: 0123456789abcdef"), f.reason());
    }

    @Test
    void missingDockerfileFails() {
        RealInfra.git.commitApp("v-nodockerfile");
        String sha = RealInfra.git.commitWithoutDockerfile();
        String release = sender.send(request(sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(
                f.reason()
                        .startsWith(
                                "no Dockerfile: 'Dockerfile' not found at commit "
                                        + sha.substring(0, 12)),
                f.reason());
    }

    @Test
    void aBaseImageFromDockerHubIsRefusedBeforeTheEngineSeesIt() {
        String sha =
                RealInfra.git.commitDockerfile(
                        "FROM alpine:3.20\nRUN echo never\n", "a Docker Hub base image");
        String release = sender.send(request(sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(f.reason().startsWith("base image refused: FROM alpine:3.20"), f.reason());
    }

    @Test
    void aRegistryThatRefusesFailsThePush() {
        String sha = RealInfra.git.commitApp("v-noregistry");
        RealInfra.registry.stop();
        try {
            String release = sender.send(request(sha)).data().releaseId();
            BuildFailed f = awaitFailure(release, BUILD);
            assertTrue(
                    f.reason().startsWith("push refused: registry " + RealInfra.registry.address()),
                    f.reason());
        } finally {
            RealInfra.registry.restart();
        }
    }

    @Test
    void aNewerCommitSupersedesTheRunningBuild() throws Exception {
        RealInfra.git.commitApp("v-slow");
        String slow =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        RUN ["/bin/busybox", "sh", "-c", "echo slow step started; exec /bin/busybox sleep 120"]
                        """,
                        "a slow step");
        String older = sender.send(request(slow)).data().releaseId();
        Awaitility.await()
                .atMost(BUILD)
                .failFast("the slow build ended", () -> count(older, EventType.BUILD_FAILED) > 0)
                .until(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/builds/" + older + "/log")
                                        .body()
                                        .asString()
                                        .contains("slow step started"));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + older)
                .then()
                .body("status", equalTo("RUNNING"));

        // a follower streams the log while it runs and the stream ends with the build
        CompletableFuture<HttpResponse<String>> follow =
                HTTP.sendAsync(
                        HttpRequest.newBuilder(
                                        base.toURI()
                                                .resolve("builds/" + older + "/log?follow=true"))
                                .header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        String good = RealInfra.git.commitApp("v3");
        String newer = sender.send(request(good)).data().releaseId();
        BuildFailed f = awaitFailure(older, Duration.ofSeconds(20));
        assertEquals("superseded", f.reason());
        assertEquals(0, count(older, EventType.BUILD_SUCCEEDED));

        HttpResponse<String> followed = follow.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, followed.statusCode());
        assertTrue(followed.body().contains("slow step started"), followed.body());
        assertTrue(followed.body().contains("superseded by release " + newer), followed.body());

        awaitSuccess(newer, BUILD);
        // the engine stopped the slow step's container
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> RealInfra.engine.docker("ps", "-q").stdout().isBlank());
    }

    static String log(String release) {
        return given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + release + "/log")
                .body()
                .asString();
    }

    /** The registry has {@code image:<sha[0:12]>} built from {@code sha} by {@code release}. */
    static void assertPushed(String image, String sha, String release) throws Exception {
        String reg = RealInfra.registry.url();
        String tag = sha.substring(0, 12);
        JsonNode tags = JSON.readTree(get(reg + "/v2/" + image + "/tags/list", null).body());
        assertTrue(tags.get("tags").toString().contains("\"" + tag + "\""), tags.toString());
        HttpResponse<String> manifest =
                get(
                        reg + "/v2/" + image + "/manifests/" + tag,
                        "application/vnd.docker.distribution.manifest.v2+json");
        assertEquals(200, manifest.statusCode());
        String configDigest = JSON.readTree(manifest.body()).at("/config/digest").asText();
        JsonNode labels =
                JSON.readTree(get(reg + "/v2/" + image + "/blobs/" + configDigest, null).body())
                        .at("/config/Labels");
        assertEquals(sha, labels.get("org.opencontainers.image.revision").asText());
        assertEquals(release, labels.get("dev.canaryrelease.release-id").asText());
    }

    /** The local mirror of the example app's repository (the only one left after start). */
    static Path exampleMirror() throws Exception {
        try (Stream<Path> list = Files.list(RealInfra.dataDir.resolve("mirrors"))) {
            List<Path> all = list.toList();
            assertEquals(1, all.size(), all.toString());
            assertTrue(
                    all.get(0).getFileName().toString().matches("[0-9a-f]{32}\\.git"),
                    all.toString());
            return all.get(0);
        }
    }

    @Test
    void aLaterCommitFetchesOnlyWhatTheMirrorLacksAndACommitInItIsNotFetched() throws Exception {
        String first = RealInfra.git.commitApp("v-mirror-1");
        String r1 = sender.send(request(first)).data().releaseId();
        awaitSuccess(r1, BUILD);

        String second = RealInfra.git.commitApp("v-mirror-2");
        String r2 = sender.send(request(second)).data().releaseId();
        awaitSuccess(r2, BUILD);
        String log2 = log(r2);
        Matcher fetched =
                Pattern.compile(
                                "git: fetched "
                                        + second.substring(0, 12)
                                        + " into the local mirror \\((\\d+) objects")
                        .matcher(log2);
        assertTrue(fetched.find(), log2);
        // the new commit, its tree and app.env: busybox (1 MB) does not travel again
        assertTrue(Integer.parseInt(fetched.group(1)) <= 3, log2);
        assertTrue(log2.contains("git: wrote 4 files of " + second.substring(0, 12)), log2);
        assertPushed("example-app", second, r2);

        // another release of the head: its objects are in the mirror, only the branch is asked
        String r3 = sender.send(request(second)).data().releaseId();
        awaitSuccess(r3, BUILD);
        String log3 = log(r3);
        assertTrue(
                log3.contains(
                        "git: commit "
                                + second.substring(0, 12)
                                + " already in the local mirror, still the head of main"),
                log3);
        assertFalse(log3.contains("git: fetched"), log3);
        assertPushed("example-app", second, r3);
    }

    @Test
    void twoBuildsOfTheSameRepositoryFetchingAtOnceBothSucceed() throws Exception {
        // example2 builds the branch twin, example the branch main, of the same repository
        String one = RealInfra.git.commitApp("v-twin-1");
        RealInfra.git.pushTo("twin");
        String two = RealInfra.git.commitApp("v-twin-2");
        String a = sender.send(request("example2", one)).data().releaseId();
        String b = sender.send(request("example", two)).data().releaseId();
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                count(a, EventType.BUILD_STARTED) == 1
                                        && count(b, EventType.BUILD_STARTED) == 1);
        awaitSuccess(a, BUILD);
        awaitSuccess(b, BUILD);
        assertTrue(log(a).contains("git: wrote 4 files of " + one.substring(0, 12)), log(a));
        assertTrue(log(b).contains("git: wrote 4 files of " + two.substring(0, 12)), log(b));
        assertPushed("example-app-2", one, a);
        assertPushed("example-app", two, b);
    }

    @Test
    void aCorruptMirrorIsDeletedAndFetchedAgainFromScratch() throws Exception {
        String sha = RealInfra.git.commitApp("v-corrupt");
        String r1 = sender.send(request(sha)).data().releaseId();
        awaitSuccess(r1, BUILD);

        Path packs = exampleMirror().resolve("objects/pack");
        try (Stream<Path> list = Files.list(packs)) {
            for (Path pack : list.filter(p -> p.toString().endsWith(".pack")).toList()) {
                try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
                    ch.truncate(ch.size() / 2);
                }
            }
        }

        String r2 = sender.send(request(sha)).data().releaseId();
        awaitSuccess(r2, BUILD);
        String log2 = log(r2);
        assertTrue(
                log2.contains("git: the local mirror is unusable (")
                        && log2.contains("deleting it and fetching again from scratch"),
                log2);
        assertTrue(
                log2.contains("git: fetched " + sha.substring(0, 12) + " into the local mirror"),
                log2);
        assertTrue(log2.contains("git: wrote 4 files of " + sha.substring(0, 12)), log2);
        assertPushed("example-app", sha, r2);
    }

    @Test
    void aMirrorOfARepositoryThatLeftTheFleetIsRemovedAtStart() {
        assertTrue(Files.notExists(RealInfra.staleMirror));
    }

    /** The tags of {@code image} in the registry (none if it has no such repository). */
    static String tagsOf(String image) throws Exception {
        HttpResponse<String> r =
                get(RealInfra.registry.url() + "/v2/" + image + "/tags/list", null);
        return r.statusCode() == 404 ? "" : String.valueOf(JSON.readTree(r.body()).get("tags"));
    }

    /**
     * Every entry of every layer of {@code image:tag} in the registry: name → {@code -> target} for
     * links, the text of small files, "" for folders and large files.
     */
    static java.util.Map<String, String> layerEntries(String image, String tag) throws Exception {
        String reg = RealInfra.registry.url();
        HttpResponse<String> manifest =
                get(
                        reg + "/v2/" + image + "/manifests/" + tag,
                        "application/vnd.docker.distribution.manifest.v2+json");
        assertEquals(200, manifest.statusCode(), manifest.body());
        java.util.Map<String, String> entries = new java.util.TreeMap<>();
        for (JsonNode layer : JSON.readTree(manifest.body()).get("layers")) {
            HttpResponse<byte[]> blob =
                    RealInfra.registry
                            .httpClient()
                            .send(
                                    HttpRequest.newBuilder(
                                                    URI.create(
                                                            reg
                                                                    + "/v2/"
                                                                    + image
                                                                    + "/blobs/"
                                                                    + layer.get("digest").asText()))
                                            .header(
                                                    "Authorization",
                                                    RealInfra.registry
                                                            .credentials("registry-service")
                                                            .basicAuth())
                                            .build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
            try (var tar =
                    new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                            new org.apache.commons.compress.compressors.gzip
                                    .GzipCompressorInputStream(
                                    new java.io.ByteArrayInputStream(blob.body())))) {
                org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    String v =
                            e.isSymbolicLink()
                                    ? "-> " + e.getLinkName()
                                    : e.isFile() && e.getSize() < 4096
                                            ? new String(
                                                    tar.readAllBytes(),
                                                    java.nio.charset.StandardCharsets.UTF_8)
                                            : "";
                    entries.put(e.getName(), v);
                }
            }
        }
        return entries;
    }

    @Test
    void aLinkOutOfTheCheckoutFailsTheBuildNamingItAndNothingIsPushed() throws Exception {
        // issue 20's attack: an empty .dockerignore, s -> the host's secrets, COPY s/ /s/
        String up = "../".repeat(30) + RealInfra.secrets.toString().substring(1);
        RealInfra.git.commitApp("v-attack");
        RealInfra.git.write(".dockerignore", "");
        RealInfra.git.link("s", up);
        String sha =
                RealInfra.git.commitDockerfile(
                        "FROM scratch\nCOPY s/ /s/\n", "copy the host's secrets");
        try {
            String release = sender.send(request(sha)).data().releaseId();
            BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
            assertEquals(
                    "context refused: 's' is a symbolic link to '"
                            + up
                            + "', which leads outside the checkout",
                    f.reason());
            assertFalse(log(release).contains("docker build -t"), log(release));
            assertFalse(tagsOf("example-app").contains(sha.substring(0, 12)));
        } finally {
            RealInfra.git.deleteAndPush("remove the attack", "s", ".dockerignore");
        }
    }

    @Test
    void selfLinksBuildQuicklyAndAnInsideLinkStaysALinkInTheImage() throws Exception {
        RealInfra.git.commitApp("v-links");
        RealInfra.git.write(".dockerignore", "*.log\n");
        RealInfra.git.write("debug.log", "left out by .dockerignore");
        for (String self : List.of("a", "b", "c")) {
            RealInfra.git.link(self, ".");
        }
        RealInfra.git.link("page", "app.env");
        String sha =
                RealInfra.git.commitDockerfile(
                        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY . /ctx/\n",
                        "self links and an inside link");
        try {
            String release = sender.send(request(sha)).data().releaseId();
            BuildSucceeded ok = awaitSuccess(release, BUILD).data();
            // docker-java's scanner walked a/b/c/a/... without end; the context has 3 links
            assertTrue(ok.durationMs() < 30_000, "took " + ok.durationMs() + " ms");
            assertTrue(log(release).contains("(1 left out by .dockerignore)"), log(release));

            java.util.Map<String, String> layers = layerEntries("example-app", ok.tag());
            assertEquals("-> app.env", layers.get("ctx/page"), layers.toString());
            assertEquals("-> .", layers.get("ctx/a"), layers.toString());
            assertTrue(layers.containsKey("ctx/app.env"), layers.toString());
            assertFalse(layers.containsKey("ctx/debug.log"), layers.toString());
            assertFalse(
                    layers.values().stream().anyMatch(v -> v.contains(RealInfra.SECRET)),
                    "a layer holds a file from outside the checkout");
            assertFalse(layers.keySet().stream().anyMatch(n -> n.startsWith("ctx/a/")));
        } finally {
            RealInfra.git.deleteAndPush(
                    "remove the links", "a", "b", "c", "page", ".dockerignore", "debug.log");
        }
    }

    @Test
    void aCommitThatIsNoLongerTheHeadOfItsBranchIsNotBuilt() throws Exception {
        String a = RealInfra.git.commitApp("v-replayed-a");
        String b = RealInfra.git.commitApp("v-replayed-b");
        // a replayed (or late) push of a: the repository's branch head is b
        String release = sender.send(request(a)).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(
                f.reason()
                        .startsWith(
                                "superseded: "
                                        + a.substring(0, 12)
                                        + " is no longer the head of main in "
                                        + GitFixture.REPOSITORY
                                        + " (the head is "
                                        + b
                                        + ")"),
                f.reason());
        assertFalse(log(release).contains("docker build -t"), log(release));
        assertFalse(tagsOf("example-app").contains(a.substring(0, 12)));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + release)
                .then()
                .body("status", equalTo("FAILED"));
    }

    @Test
    void copyFromAnImageOutsideTheRegistryIsRefused() {
        RealInfra.git.commitApp("v-copy-from");
        String sha =
                RealInfra.git.commitDockerfile(
                        "FROM scratch\nCOPY --from=busybox /bin/busybox /bin/busybox\n",
                        "copy from Docker Hub");
        String release = sender.send(request(sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(
                f.reason()
                        .startsWith(
                                "base image refused: COPY --from=busybox: the build engine never"
                                        + " pulls from Docker Hub"),
                f.reason());
    }

    @Test
    void aBusyLoopPastTheAppsDeadlineIsStoppedOnTheEngineWithinItsLimits() throws Exception {
        RealInfra.git.commitApp("v-busy");
        String sha =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        RUN ["/bin/busybox", "sh", "-c", "echo busy loop $((6 * 7)); while :; do :; done"]
                        """,
                        "a step that never ends");
        RealInfra.git.pushTo("busy");
        String release = sender.send(request("busy", sha)).data().releaseId();
        Awaitility.await()
                .atMost(BUILD)
                .failFast("the busy build ended", () -> count(release, EventType.BUILD_FAILED) > 0)
                // the step's own output (its instruction, also in the log, holds no "42")
                .until(() -> log(release).contains("busy loop 42"));
        Matcher running = Pattern.compile("Running in ([0-9a-f]{12})").matcher(log(release));
        String container = null;
        while (running.find()) {
            container = running.group(1);
        }
        assertTrue(container != null, log(release));
        // the step's container runs with the app's limits from the fleet (256m, 0.5 CPU, 64)
        String limits =
                RealInfra.engine
                        .docker(
                                "inspect",
                                "--format",
                                "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}"
                                        + " {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}}"
                                        + " {{json .HostConfig.Ulimits}}",
                                container)
                        .stdout()
                        .strip();
        assertEquals(
                "268435456 268435456 100000 50000 [{\"Hard\":64,\"Name\":\"nproc\",\"Soft\":64}]",
                limits);

        BuildFailed f = awaitFailure(release, Duration.ofSeconds(30));
        assertEquals(
                "timeout: the build ran longer than its deadline of 8s and was stopped"
                        + " (fleet: apps.busy.build.deadline)",
                f.reason());
        assertTrue(f.durationMs() >= 8000 && f.durationMs() < 15_000, "took " + f.durationMs());
        // nothing of the build keeps running on the engine, and the build thread returned
        // (it removes the workspace as its last step)
        String id = container;
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .until(
                        () ->
                                RealInfra.engine
                                        .docker("ps", "-aq", "--filter", "id=" + id)
                                        .stdout()
                                        .isBlank());
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .until(() -> RealInfra.engine.docker("ps", "-q").stdout().isBlank());
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .until(() -> Files.notExists(RealInfra.dataDir.resolve("work").resolve(release)));
        assertFalse(tagsOf("busy-app").contains(sha.substring(0, 12)));
    }

    @Test
    void aNonRootStepThatForksPastTheAppsPidsLimitFails() {
        // 100 background processes of uid 4242 against the app's pids limit of 64 (nproc)
        RealInfra.git.commitApp("v-forks");
        String sha =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        USER 4242
                        RUN ["/bin/busybox", "sh", "-c", "i=0; while [ $i -lt 100 ]; do /bin/busybox sleep 2 & i=$((i+1)); done; echo forked $i"]
                        """,
                        "a step that forks 100 processes");
        RealInfra.git.pushTo("busy");
        String release = sender.send(request("busy", sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, BUILD);
        assertTrue(f.reason().startsWith("build step failed: Step 4/"), f.reason());
        assertTrue(f.reason().contains("can't fork"), f.reason());
        assertFalse(log(release).contains("forked 100"), log(release));
    }

    @Test
    void aRootStepThatForksPastTheAppsPidsLimitFails() {
        // the same 100 processes, forked by the step's root: on the user-namespaced build engine
        // its root is an unprivileged uid of the host, so the kernel applies nproc to it as well
        RealInfra.git.commitApp("v-root-forks");
        String sha =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        RUN ["/bin/busybox", "sh", "-c", "/bin/busybox id -u; i=0; while [ $i -lt 100 ]; do /bin/busybox sleep 2 & i=$((i+1)); done; echo forked $i"]
                        """,
                        "a root step that forks 100 processes");
        RealInfra.git.pushTo("busy");
        String release = sender.send(request("busy", sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, BUILD);
        assertTrue(f.reason().startsWith("build step failed: Step 3/"), f.reason());
        assertTrue(f.reason().contains("can't fork"), f.reason());
        // the step ran as root inside its container
        // (each log line is "<time> <text>": id -u printed 0)
        assertTrue(log(release).lines().anyMatch(l -> l.matches("\\S+ 0")), log(release));
        assertFalse(log(release).contains("forked 100"), log(release));
    }

    @Test
    void aForgedCloneUrlIsNeverFetchedAndTheFleetsRepositoryIsBuilt() throws Exception {
        try (RecordingGitServer attacker = new RecordingGitServer()) {
            String sha = RealInfra.git.commitApp("v-forged-url");
            BuildRequested forged =
                    new BuildRequested(
                            UUID.randomUUID().toString(),
                            "example",
                            GitFixture.REPOSITORY,
                            attacker.url() + "attacker/example-app.git",
                            "refs/heads/main",
                            sha,
                            "octocat",
                            "delivery-" + UUID.randomUUID());
            String release = sender.send(forged).data().releaseId();
            awaitSuccess(release, BUILD);
            assertPushed("example-app", sha, release);
            assertEquals(List.of(), attacker.requests());
            String reg = RealInfra.registry.url();
            HttpResponse<String> manifest =
                    get(
                            reg + "/v2/example-app/manifests/" + sha.substring(0, 12),
                            "application/vnd.docker.distribution.manifest.v2+json");
            String configDigest = JSON.readTree(manifest.body()).at("/config/digest").asText();
            JsonNode labels =
                    JSON.readTree(get(reg + "/v2/example-app/blobs/" + configDigest, null).body())
                            .at("/config/Labels");
            assertEquals(
                    GitFixture.CLONE_URL, labels.get("org.opencontainers.image.source").asText());

            // a request whose repository is not the named app's is not built at all
            BuildRequested other =
                    new BuildRequested(
                            UUID.randomUUID().toString(),
                            "example",
                            "attacker/other",
                            attacker.url() + "attacker/other.git",
                            "refs/heads/main",
                            sha,
                            "octocat",
                            "delivery-" + UUID.randomUUID());
            BuildFailed f = awaitFailure(sender.send(other).data().releaseId(), BUILD);
            assertEquals(
                    "unknown app: app 'example' builds "
                            + GitFixture.REPOSITORY
                            + ", not attacker/other",
                    f.reason());
            assertEquals(List.of(), attacker.requests());
        }
    }
}
