package dev.canaryrelease.deploy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.deploy.domain.Policy;
import dev.canaryrelease.deploy.domain.Rollouts;
import dev.canaryrelease.deploy.messaging.DeploySnapshots;
import dev.canaryrelease.deploy.messaging.HistoryReader;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ReleaseAborted;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.EventRetention;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * A deploy-service run, then the event topics' retention, before the deploy-service under test
 * starts:
 *
 * <ol>
 *   <li>History, as each service writes it (deploy-service's own events too, caused as it causes
 *       them): {@link #PROMOTED} went through its canary on docker0 and its promotion on docker1
 *       and docker2, each host reporting the digest it ran before ({@link #previous}); {@link
 *       #ABORTED} was built, then aborted by {@link #OPERATOR} with {@link #REASON}.
 *   <li>An earlier deploy-service run: deploy-service's own snapshot class ({@link
 *       DeploySnapshots}) folds the history as its start-up replay does and writes the snapshot.
 *   <li>Retention: every record of every {@code *.events} topic is deleted ({@code
 *       Admin.deleteRecords}).
 * </ol>
 *
 * The fleet has no reachable engine: the service under test does not scan hosts at start.
 */
public class SnapshottedDeployHistory implements QuarkusTestResourceLifecycleManager {
    static final String APP = "example";
    static final String PROMOTED = UUID.randomUUID().toString();
    static final String ABORTED = UUID.randomUUID().toString();
    static final String DELIVERY = UUID.randomUUID().toString();
    static final String SHA = "ab".repeat(20);
    static final String DIGEST = "sha256:" + "56".repeat(32);
    static final String PUSHER = "ci-bot";
    static final String OPERATOR = "dave";
    static final String REASON = "error budget spent";
    static final Map<String, String> previous =
            Map.of(
                    "docker0", "sha256:" + "a0".repeat(32),
                    "docker1", "sha256:" + "a1".repeat(32),
                    "docker2", "sha256:" + "a2".repeat(32));

    /** Commands the earlier run found decided and not done (0: the history is complete). */
    static volatile int earlierRunOutstanding = -1;

    /** Releases in the earlier run's snapshot. */
    static volatile int earlierRunReleases = -1;

    private static final String ROLLOUT = "  steps: [\"1\"]\n  maxUnavailable: 1\n";

    @Override
    public Map<String, String> start() {
        String b = KafkaTestResource.bootstrapServers();
        new TopicGuard(
                        KafkaTestResource.clientConfig(KafkaPrincipals.BROKER),
                        new TopicCatalogue(EventSender.SingleBrokerTopics.INSTANCE),
                        Duration.ofSeconds(30))
                .ensure(Topics.ALL);
        java.nio.file.Path fleet = TestFleet.write(ROLLOUT);
        writeHistory(b);
        earlierRun(b, FleetLoader.load(fleet));
        EventRetention.deleteEventRecords();
        return Map.of(
                "canary.fleet.path", fleet.toString(), "canary.deploy.recover-at-start", "false");
    }

    private static void writeHistory(String b) {
        try (EventSender gateway = new EventSender(b, "gateway");
                EventSender build = new EventSender(b, "build-service");
                EventSender registry = new EventSender(b, "registry-service");
                EventSender lb = new EventSender(b, "lb-service");
                EventSender deploy = new EventSender(b, "deploy-service")) {
            EventEnvelope<?> req =
                    gateway.send(
                            new BuildRequested(
                                    PROMOTED,
                                    APP,
                                    "proserveau/example-app",
                                    "https://github.com/proserveau/example-app.git",
                                    "refs/heads/main",
                                    SHA,
                                    "octocat",
                                    DELIVERY));
            var started = build.send(req, new BuildStarted(PROMOTED, APP, SHA, null));
            announce(deploy, started, PROMOTED, Phase.BUILDING, Phase.PENDING);
            var built =
                    build.send(
                            started,
                            new BuildSucceeded(
                                    PROMOTED, APP, APP, SHA.substring(0, 12), DIGEST, 900, null));
            announce(deploy, built, PROMOTED, Phase.BUILT, Phase.BUILDING);
            var pushed =
                    registry.send(
                            built,
                            new ImagePushed(
                                    PROMOTED, APP, APP, SHA.substring(0, 12), DIGEST, PUSHER));
            var enabled = cycle(deploy, lb, pushed, "docker0", Stage.CANARY, Phase.CANARY_UPDATING);
            var live =
                    deploy.send(enabled, new CanaryLive(PROMOTED, APP, List.of("docker0"), DIGEST));
            announce(deploy, enabled, PROMOTED, Phase.CANARY_LIVE, Phase.CANARY_UPDATING);
            var promote =
                    gateway.send(
                            live,
                            new PromotionRequested(PROMOTED, APP, "carol", "canary looks fine"));
            enabled = cycle(deploy, lb, promote, "docker1", Stage.PROMOTION, Phase.PROMOTING);
            enabled = cycle(deploy, lb, enabled, "docker2", Stage.PROMOTION, null);
            deploy.send(
                    enabled,
                    new ReleasePromoted(
                            PROMOTED,
                            APP,
                            DIGEST,
                            dev.canaryrelease.deploy.domain.Reasons.PROMOTED));
            announce(deploy, enabled, PROMOTED, Phase.PROMOTED, Phase.PROMOTING);

            String sha = "cd".repeat(20);
            var r2 =
                    gateway.send(
                            new BuildRequested(
                                    ABORTED,
                                    APP,
                                    "proserveau/example-app",
                                    "https://github.com/proserveau/example-app.git",
                                    "refs/heads/main",
                                    sha,
                                    "octocat",
                                    UUID.randomUUID().toString()));
            var s2 = build.send(r2, new BuildStarted(ABORTED, APP, sha, null));
            announce(deploy, s2, ABORTED, Phase.BUILDING, Phase.PENDING);
            var b2 =
                    build.send(
                            s2,
                            new BuildSucceeded(
                                    ABORTED,
                                    APP,
                                    APP,
                                    sha.substring(0, 12),
                                    "sha256:" + "78".repeat(32),
                                    900,
                                    null));
            announce(deploy, b2, ABORTED, Phase.BUILT, Phase.BUILDING);
            var abort = gateway.send(b2, new AbortRequested(ABORTED, APP, OPERATOR, REASON));
            deploy.send(
                    abort,
                    new ReleaseAborted(
                            ABORTED,
                            APP,
                            "sha256:" + "78".repeat(32),
                            dev.canaryrelease.deploy.domain.Reasons.ABORTED
                                    + OPERATOR
                                    + ": "
                                    + REASON));
            announce(deploy, abort, ABORTED, Phase.ABORTED, Phase.BUILT);
        }
    }

    /** deploy-service's announcement of a phase move, as its earlier run published it. */
    private static void announce(
            EventSender deploy, EventEnvelope<?> cause, String release, Phase to, Phase from) {
        deploy.send(cause, new ReleasePhaseChanged(release, APP, to, from));
    }

    /**
     * One host's cycle as deploy-service and lb-service write it (with the phase the request moved
     * the release to, or null); returns host.enabled.
     */
    private static EventEnvelope<?> cycle(
            EventSender deploy,
            EventSender lb,
            EventEnvelope<?> cause,
            String host,
            Stage stage,
            Phase moved) {
        var req = deploy.send(cause, new HostUpdateRequested(PROMOTED, APP, host, stage, DIGEST));
        if (moved != null) {
            announce(
                    deploy,
                    cause,
                    PROMOTED,
                    moved,
                    moved == Phase.PROMOTING ? Phase.CANARY_LIVE : Phase.BUILT);
        }
        var drained = lb.send(req, new HostDrained(PROMOTED, APP, host, stage, 0, 12, false));
        var updated =
                deploy.send(
                        drained,
                        new HostUpdated(PROMOTED, APP, host, stage, DIGEST, previous.get(host)));
        return lb.send(updated, new HostEnabled(PROMOTED, APP, host, stage));
    }

    /** deploy-service's snapshot class and replay reader, run as the service runs them. */
    private static void earlierRun(String b, Fleet fleet) {
        Map<String, Object> kafka = KafkaTestResource.clientConfig("deploy-service");
        HistoryReader history =
                new HistoryReader(
                        b,
                        kafka,
                        List.of(
                                Topics.GATEWAY,
                                Topics.BUILD,
                                Topics.REGISTRY,
                                Topics.LB,
                                Topics.DEPLOY),
                        Duration.ofSeconds(60));
        Policy policy = Policy.of(fleet);
        Set<String> apps = Set.of(APP);
        DeploySnapshots snapshots =
                new DeploySnapshots(
                        kafka,
                        EventSender.SingleBrokerTopics.INSTANCE,
                        history,
                        inOrder -> Rollouts.restored(policy, apps, inOrder),
                        "/canary-release/deploy-service");
        snapshots.open();
        snapshots.flush();
        earlierRunOutstanding = snapshots.fold().outstanding().size();
        earlierRunReleases = snapshots.fold().rollouts().releases().size();
        snapshots.close();
    }

    @Override
    public void stop() {}
}
